"""What the checks use to judge: assertions, gradient and architecture diagnosis, the
course's loops and models, training measured in the checker. Runs in the checker only."""
