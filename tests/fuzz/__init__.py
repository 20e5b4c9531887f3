"""Property-based tests of the whole path, API to email, against the local AWS (README, "Fuzzing")."""
