"""Write the old-format Excel (.xls) and OpenDocument (.ods) test workbooks of this folder.

Not run by the tests: the files are committed. It needs two packages the playbook does not
depend on (``pip install xlwt odfpy``) and writes the same small sheet into both: a title,
a blank row, then a table of sales with real date and number cells.

    python tests/data/workbooks/make_workbooks.py
"""

import datetime as dt
from pathlib import Path

HERE = Path(__file__).resolve().parent
TITLE = "Продажи за январь 2024"
HEADER = ["Дата", "Клиент", "Сумма"]
ROWS = [(dt.date(2024, 1, 5), "ООО «Вектор»", 1200.5),
        (dt.date(2024, 1, 6), "ИП Иванов", 99.9),
        (dt.date(2024, 1, 9), "ООО «Вектор»", 300.0)]


def write_xls(path: Path) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Продажи")
    dates = xlwt.easyxf(num_format_str="DD.MM.YYYY")
    sheet.write(0, 0, TITLE)
    for col, name in enumerate(HEADER):
        sheet.write(2, col, name)
    for row, (day, customer, amount) in enumerate(ROWS, start=3):
        sheet.write(row, 0, day, dates)
        sheet.write(row, 1, customer)
        sheet.write(row, 2, amount)
    book.save(str(path))


def write_ods(path: Path) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Продажи")

    def row(*cells):
        tr = TableRow()
        for cell in cells:
            if cell is None:
                tr.addElement(TableCell())
            elif isinstance(cell, dt.date):
                tc = TableCell(valuetype="date", datevalue=cell.isoformat())
                tc.addElement(P(text=cell.strftime("%d.%m.%Y")))
                tr.addElement(tc)
            elif isinstance(cell, float):
                tc = TableCell(valuetype="float", value=cell)
                tc.addElement(P(text=str(cell)))
                tr.addElement(tc)
            else:
                tc = TableCell(valuetype="string")
                tc.addElement(P(text=cell))
                tr.addElement(tc)
        table.addElement(tr)

    row(TITLE)
    row(None)
    row(*HEADER)
    for day, customer, amount in ROWS:
        row(day, customer, amount)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))


if __name__ == "__main__":
    write_xls(HERE / "sales.xls")
    write_ods(HERE / "sales.ods")
