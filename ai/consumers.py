from django.core.exceptions import ValidationError
from django.http import Http404

from smartedu.consumers import CLOSE_FORBIDDEN, CLOSE_NOT_SIGNED_IN, GuardedJsonConsumer
from tenants.realtime import run_in_school

from .tasks import tutor_group
from .tutor.payloads import AskedFrame, AskFrame, PingFrame, PongFrame, RefusedFrame


def _course_for(user, course_id: int):
    from courses.selectors import course_get_for

    try:
        return course_get_for(user, course_id)
    except Http404:
        return None


def _record_question(user, course_id: int, question: str) -> int:
    from courses.selectors import course_get_for

    from .tutor.services import tutor_turn_create

    course = course_get_for(user, course_id)
    return tutor_turn_create(course=course, asked_by=user, question=question).pk


def _queue_answer(turn_id: int) -> None:
    from .tasks import answer_tutor_question

    # Questions jump ahead of embedding batches waiting on the same queue.
    answer_tutor_question.apply_async((turn_id,), priority=0)


class TutorConsumer(GuardedJsonConsumer):
    """A student's conversation with the course tutor.

    Client → server: ``{"type": "ask", "question": "..."}`` and ``{"type": "ping"}``.
    Server → client: ``asked`` (the turn id), then for that turn ``sources``, ``delta``…,
    ``reset`` (discard streamed text), ``done`` or ``error``; ``pong``; ``error`` for a bad
    message (the connection stays open). The frames are ai.tutor.payloads."""

    course_id: int
    groups_joined: list[str]

    async def connect(self):
        self.groups_joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return await self.refuse(CLOSE_NOT_SIGNED_IN)
        self.course_id = int(self.scope["url_route"]["kwargs"]["course_id"])
        course = await run_in_school(self.scope["schema_name"], _course_for, user, self.course_id)
        if course is None:
            return await self.refuse(CLOSE_FORBIDDEN)
        await self.accept()

    async def disconnect(self, code):
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def send_error(self, message: str) -> None:
        await self.send_json(RefusedFrame(message=message).as_message())

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == PingFrame.type:
            return await self.send_json(PongFrame().as_message())
        if kind != AskFrame.type:
            return await self.send_error('Send {"type": "ask", "question": "..."}.')
        question = content.get("question")
        if not isinstance(question, str):
            return await self.send_error("The question must be text.")
        from tenants.quotas import QuotaExceeded

        schema = self.scope["schema_name"]
        try:
            turn_id = await run_in_school(
                schema, _record_question, self.scope["user"], self.course_id, question
            )
        except ValidationError as exc:
            return await self.send_error(" ".join(exc.messages))
        except QuotaExceeded as exc:
            # The school's monthly tutor budget is spent: say so, with the reset date.
            return await self.send_error(exc.message)
        except Http404:
            return await self.close(code=CLOSE_FORBIDDEN)
        # Join the turn's group before the answer is queued, so no event can be missed.
        group = tutor_group(schema, turn_id)
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)
        await self.send_json(
            AskedFrame(turn=turn_id, question=" ".join(question.split())).as_message()
        )
        await run_in_school(schema, _queue_answer, turn_id)

    async def tutor_event(self, event):
        await self.send_json(event["event"])
