"""Skill assessments: question bank, blueprints, sessions, scoring and ranking."""
