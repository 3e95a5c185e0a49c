"""What clinic staff see of real traffic: feedback votes, the insights figures, the review queue."""
