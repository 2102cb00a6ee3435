from django.db import models


class Notice(models.Model):
    text = models.CharField(max_length=200)
    pinned = models.BooleanField(default=False, db_default=False)

    def __str__(self) -> str:
        return self.text
