"""Websocket consumers of the quizzes app: taking an attempt (attempts.py) and live class
sessions (live.py). They authenticate, check permission and call quizzes.attempts / quizzes.live;
no rule lives here."""
