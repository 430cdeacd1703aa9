"""What the client's staff get besides the report: managers' task lists and segment lists
(tasks).
"""

from playbook.exports.tasks import (
    TASK_COLUMNS,
    UNASSIGNED,
    call_list,
    greetings_list,
    last_known,
    manager_stem,
    neutralise,
    penetration_list,
    people,
    plain_text,
    with_people,
    write_segment_list,
    write_task_lists,
)

__all__ = ["TASK_COLUMNS", "UNASSIGNED", "call_list", "greetings_list", "last_known",
           "manager_stem", "neutralise", "penetration_list", "people", "plain_text", "with_people",
           "write_segment_list", "write_task_lists"]
