"""What the client's staff get besides the report: the managers' task workbooks and the
mailing lists.

``books`` (the notebooks hand their task lists over; each manager's workbook written once),
``tasks`` (the format's keys, words, formula guard, contact checks, file names), ``lists``
(the task lists as tables), ``workbook`` (writing the workbooks), ``mailing`` (mailing
lists by status), ``offers`` (the one-page offers to customers who left). The format is
docs/workbooks.md.
"""

from playbook.exports.books import hand_over
from playbook.exports.lists import (
    CONTEXT_COLUMNS,
    VALUE_COLUMNS,
    call_list,
    context,
    finish,
    greetings_list,
    last_known,
    occasions,
    penetration_list,
    people,
    value_column,
    winback_lists,
    yearly_value,
)
from playbook.exports.mailing import (
    consent_flag,
    mailing_csv_only,
    mailing_list,
    write_mailing_lists,
)
from playbook.exports.offers import OFFERS_FOLDER, OffersWritten, offer_stem, write_offers
from playbook.exports.tasks import (
    LISTS,
    STATUSES,
    TASK_COLUMNS,
    UNASSIGNED,
    email_link,
    label,
    list_name,
    manager_stem,
    neutralise,
    phone_link,
    plain_text,
    status_name,
)
from playbook.exports.workbook import last_period_completion, write_task_lists

__all__ = ["CONTEXT_COLUMNS", "LISTS", "OFFERS_FOLDER", "OffersWritten",
           "STATUSES", "TASK_COLUMNS", "UNASSIGNED", "VALUE_COLUMNS",
           "call_list", "consent_flag",
           "context", "email_link", "finish", "greetings_list", "hand_over", "label",
           "last_known", "last_period_completion", "list_name", "mailing_csv_only",
           "mailing_list", "manager_stem", "neutralise",
           "occasions", "penetration_list", "people", "phone_link", "plain_text",
           "offer_stem", "status_name", "value_column", "winback_lists", "write_mailing_lists",
           "write_offers",
           "write_task_lists", "yearly_value"]
