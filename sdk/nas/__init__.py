"""Architecture search for binary networks under a board's budget: the search space
(:mod:`sdk.nas.space`), the board budget every candidate is checked against before it is
trained (:mod:`sdk.nas.budget`)."""
