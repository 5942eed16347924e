"""`python -m grader.cohort` is `grade-class`."""

from grader.cohort.cli import main

main()
