"""Live class sessions: a teacher runs a quiz question by question, students answer on their
phones, and the rounds, participants and answers are kept (quizzes.live runs them)."""

from django.conf import settings
from django.db import models


class LiveSession(models.Model):
    """A quiz run live in class: the teacher opens it, students join with the code, the teacher
    moves from question to question; answers and scores are pushed to everyone."""

    class State(models.TextChoices):
        LOBBY = "lobby", "Waiting for students"
        QUESTION = "question", "Question open"
        REVEAL = "reveal", "Showing results"
        FINISHED = "finished", "Finished"

    quiz = models.ForeignKey("quizzes.Quiz", on_delete=models.CASCADE, related_name="live_sessions")
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    join_code = models.CharField(max_length=8)
    state = models.CharField(max_length=16, choices=State.choices, default=State.LOBBY)
    position = models.PositiveIntegerField(
        default=0, help_text="The question on screen (1-based; 0 before the first)."
    )
    show_leaderboard = models.BooleanField(default=True)
    anonymous_leaderboard = models.BooleanField(
        default=False, help_text="Show aliases, not names, on shared screens."
    )
    speed_scoring = models.BooleanField(
        default=True, help_text="Faster right answers earn more (up to double)."
    )
    seconds_per_question = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: the teacher closes each question."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A code names one running session; finished sessions free theirs.
            models.UniqueConstraint(
                fields=["join_code"],
                condition=~models.Q(state="finished"),
                name="live_join_code_active_once",
            )
        ]

    def __str__(self) -> str:
        return f"live {self.join_code} of quiz {self.quiz_id} ({self.state})"


class LiveRound(models.Model):
    """One question of a live session, pinned to the version shown when it opened."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="rounds")
    position = models.PositiveIntegerField()
    question = models.ForeignKey("quizzes.Question", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        "quizzes.QuestionVersion", on_delete=models.PROTECT, related_name="+"
    )
    points = models.DecimalField(max_digits=6, decimal_places=2, default=1)
    opened_at = models.DateTimeField()
    closes_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "position"]
        constraints = [
            models.UniqueConstraint(fields=["session", "position"], name="live_round_once")
        ]

    def __str__(self) -> str:
        return f"{self.session_id} round {self.position}"


class LiveParticipant(models.Model):
    """A student in a live session. Rejoining finds the same row: same alias, same score."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="participants")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    alias = models.CharField(max_length=40)
    score = models.FloatField(default=0)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "student"], name="live_participant_once"),
            models.UniqueConstraint(fields=["session", "alias"], name="live_alias_once"),
        ]

    def __str__(self) -> str:
        return f"{self.alias} in {self.session_id}"


class LiveAnswer(models.Model):
    """A participant's one answer to a round (the first one counts)."""

    round = models.ForeignKey(LiveRound, on_delete=models.CASCADE, related_name="answers")
    participant = models.ForeignKey(
        LiveParticipant, on_delete=models.CASCADE, related_name="answers"
    )
    response = models.JSONField()
    score = models.FloatField(help_text="0..1 of the round's points, as graded.")
    points_awarded = models.FloatField(help_text="Leaderboard points, with any speed bonus.")
    elapsed_ms = models.PositiveIntegerField()
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["round", "answered_at"]
        constraints = [
            models.UniqueConstraint(fields=["round", "participant"], name="live_answer_once")
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} on {self.round_id}: {self.score}"
