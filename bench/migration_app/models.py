from django.db import models


class Notice(models.Model):
    title = models.CharField(max_length=200)
    pinned = models.BooleanField(default=False)
    colour = models.CharField(max_length=20, default="", blank=True)
