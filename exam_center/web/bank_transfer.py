"""Moving items in and out of the bank: import (all or nothing), template downloads, export (audited)."""
from __future__ import annotations

import io

from flask import render_template, request, send_file
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import NotFound
from wtforms import BooleanField

from exam_center.domain.errors import DomainError
from exam_center.services import bank_io
from question_bank import exporting
from question_bank.items import Use

from .bank import BANK, XLSX, enum_arg, bp
from .forms import attach_errors
from .policy import allow
from .session import current_actor, db_session


class ImportForm(FlaskForm):
    file = FileField(_l("File (.xlsx, .csv or .json)"), validators=[FileRequired(_l("Choose a file."))])
    submit_now = BooleanField(_l("Submit the imported items for review"), default=True)


@bp.route("/import", methods=["GET", "POST"])
@allow(*BANK)
def import_items():
    form = ImportForm()
    outcome, problems = None, []
    if form.validate_on_submit():
        s = db_session()
        try:
            outcome = bank_io.import_items(s, current_actor(), form.file.data.read(), form.file.data.filename or "",
                                           submit_for_review=form.submit_now.data)
        except bank_io.ImportRefused as refused:
            s.rollback()
            problems = refused.errors  # every row and column, nothing imported
        except DomainError as error:
            s.rollback()
            attach_errors(form, error)
        else:
            s.commit()
    status = 400 if form.is_submitted() and outcome is None else 200
    return render_template("bank/import.html", form=form, outcome=outcome, problems=problems), status


@bp.route("/template.<fmt>")
@allow(*BANK)
def template(fmt: str):
    if fmt == "xlsx":
        content, mimetype = exporting.template_xlsx(), XLSX
    elif fmt == "csv":
        content, mimetype = exporting.template_csv(), "text/csv"
    else:
        raise NotFound()
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True,
                     download_name=f"question-bank-template.{fmt}")


@bp.route("/export")
@allow(*BANK)
def export():
    s = db_session()
    content, filename, mimetype = bank_io.export_items(
        s, current_actor(), fmt=request.args.get("format", "xlsx"), use=enum_arg(Use, "use"),
        operation_item=(request.args.get("item") or None))
    s.commit()  # the export is audited
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=filename)
