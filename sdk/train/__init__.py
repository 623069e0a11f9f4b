"""Training: a seeded classifier loop, zoo model fitting, and the shared MNIST digits.

Needs the ``train`` extra (torch). Import the pieces from their modules:
``sdk.train.loop`` (:func:`train_classifier`, :func:`evaluate`), ``sdk.train.zoo_fit``
(:func:`fit_zoo_model`) and ``sdk.train.mnist`` (:func:`mnist_splits`).
"""
