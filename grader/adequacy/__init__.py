"""Mutation adequacy: mutate the reference solutions and count how many mutants the checks kill.

A check suite that passes the solutions proves little on its own; one that fails small,
plausible mistakes seeded into them (a swapped operator, a dropped `zero_grad()`, `dim=0`
for `dim=1`) shows that the checks generalise to the errors students make. Run it with
`python -m grader.adequacy`; `operators` makes the mistakes, `mutate` applies them inside
the `# BEGIN SOLUTION` regions, `run` grades each mutant with the real `grade` command and
`summary` counts and lists what survived.
"""
