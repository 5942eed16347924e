"""The checks of each exercise, one pytest module per exercise name."""
