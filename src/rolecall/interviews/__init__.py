"""Interviews with calendar invites, and the interviewers' scorecards."""
