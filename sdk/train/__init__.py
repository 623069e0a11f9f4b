"""Training: a seeded classifier loop, placeholder gesture data, the demo's quick training.

Needs the ``train`` extra (torch). Import the pieces from their modules:
``sdk.train.loop`` (:func:`train_classifier`, :func:`evaluate`), ``sdk.train.placeholder``
(:func:`placeholder_gestures`) and ``sdk.train.gesture_demo`` (:func:`train_gesture_demo`).
"""
