"""Pages of course material and the tutor: upload and live ingestion, the extracted-text viewer
(``materials``), the student's tutor and the teacher's traces (``tutor``).

Thin on purpose: who may see or manage a course and its material comes from ``courses.access``
(always as the asking person), writes go through ``courses.services`` and
``ai.tutor.services``, reads through ``ai.selectors``. Every material or turn id is looked up
inside the course in the URL, so an id from another course (or school) is a 404."""
