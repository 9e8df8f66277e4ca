"""Attribution of orphan patients ("Vidons les guichets", DSP-PR-30042): who takes which
patients of the waiting list, at what pace, and why. Never imports Django."""
