"""The ``medxtract`` command. A typed error carries its own exit code (``errors.py``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from medxtract_lab import __version__
from medxtract_lab.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, MedXtractError


def _extract(args: argparse.Namespace) -> int:
    from collections import Counter

    from medxtract_lab.batch import find_pdfs, json_line, run_batch, write_records
    from medxtract_lab.config import resolve_config
    from medxtract_lab.pipeline import extract

    config = resolve_config(args.config or args.preset)
    if len(args.paths) == 1 and not Path(args.paths[0]).is_dir() and args.out is None:
        result = extract(args.paths[0], args.type, config)  # one file: its JSON, as before
        for warning in result.warnings:
            print(f"medxtract: warning: {warning}", file=sys.stderr)
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return EXIT_OK
    paths = find_pdfs(args.paths)
    if not paths:
        print(f"medxtract: no PDF found under {', '.join(args.paths)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    records = run_batch(paths, args.type, config, args.workers)
    if args.out:
        summaries = write_records(records, Path(args.out), args.type)
    else:
        summaries = []
        for record in records:
            sys.stdout.write(json_line(record))
            summaries.append({k: record.get(k) for k in ("file", "error", "exit")})
    failed = Counter(s["error"] for s in summaries if s["error"])
    where = f"; written to {args.out}" if args.out else ""
    codes = f" ({', '.join(f'{code}: {n}' for code, n in failed.most_common())})" if failed else ""
    print(
        f"medxtract: {len(summaries) - failed.total()} of {len(summaries)} documents read, "
        f"{failed.total()} failed{codes}{where}",
        file=sys.stderr,
    )
    return max((s["exit"] for s in summaries if s["error"]), default=EXIT_OK)


def _output_file(value: str) -> str:
    """An --out path ending in .jsonl or .csv (checked before any document is read)."""
    if Path(value).suffix.lower() not in (".jsonl", ".csv"):  # batch.write_records writes these
        raise argparse.ArgumentTypeError(
            f"{value}: write .jsonl (one JSON line a document) or .csv"
        )
    return value


def _json_file(value: str) -> str:
    """A tasks path ending in .json (checked before any document is read)."""
    if Path(value).suffix.lower() != ".json":
        raise argparse.ArgumentTypeError(f"{value}: write Label Studio tasks to a .json file")
    return value


def _doctypes(args: argparse.Namespace) -> int:
    from medxtract_lab.doctypes import doc_type_names, get_doctype, layouts_of

    listing = {
        name: {
            "fields": get_doctype(name).field_names,
            "layouts": [layout.layout for layout in layouts_of(name)],
        }
        for name in doc_type_names()
    }
    print(json.dumps(listing, indent=2))
    return EXIT_OK


def _engines(args: argparse.Namespace) -> int:
    from medxtract_lab.ocr import availability, engine_spec

    listing = {
        name: {"available": missing is None, "install": missing, "about": engine_spec(name).doc}
        for name, missing in availability().items()
    }
    print(json.dumps(listing, indent=2))
    return EXIT_OK


def _synth(args: argparse.Namespace) -> int:
    from medxtract_lab.corpus.synth import synthesize

    written = synthesize(
        args.out,
        args.per_condition,
        args.seed,
        args.doc_type or None,
        args.conditions or None,
        progress_mode="terminal",
        families=args.families or None,
    )
    print(f"wrote {len(written)} labelled documents to {args.out}")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from medxtract_lab.corpus import load_corpus

    documents = load_corpus(args.dir)
    if not documents:
        print(f"medxtract: no labels found under {args.dir}", file=sys.stderr)
        return EXIT_BAD_INPUT
    pages = sum(len(d.pages) for d in documents)
    print(f"{len(documents)} labels valid ({pages} pages) under {args.dir}")
    return EXIT_OK


def report_parameters(args: argparse.Namespace) -> dict:
    """What ``medxtract report`` hands the notebook's ``parameters`` cell."""
    from pathlib import Path

    def config_name(name: str | None) -> str | None:
        # A file is passed by absolute path, since the notebook runs in the output folder.
        return str(Path(name).resolve()) if name and Path(name).is_file() else name

    return {
        "corpus_dir": str(Path(args.corpus).resolve()),
        "config": config_name(args.config or args.preset),
        "compare": config_name(args.compare),
        "limit": args.limit,
        "scheduler": args.scheduler,
        "use_cache": not args.no_cache,
    }


def _report(args: argparse.Namespace) -> int:
    from medxtract_lab.evaluation import gate
    from medxtract_lab.evaluation.notebook import run_report

    # A baseline that cannot be read fails before minutes of evaluation, not after.
    baseline = gate.load_baseline(args.baseline) if args.baseline else None
    html = run_report(args.out, report_parameters(args))
    print(f"report written to {html} (with evaluation.ipynb and metrics.json beside it)")
    if baseline is None:
        return EXIT_OK
    metrics = json.loads((Path(args.out) / "metrics.json").read_text(encoding="utf-8"))
    verdict = gate.judge(metrics, baseline, args.max_drop)
    summary, junit = gate.write_verdict(args.out, verdict, args.max_drop)
    print(gate.summary_markdown(verdict, args.max_drop), end="")
    print(f"gate verdict written to {summary} and {junit}")
    return EXIT_OK if verdict.passed else EXIT_FAILED


def _learn(args: argparse.Namespace) -> int:
    from medxtract_lab.config import resolve_config
    from medxtract_lab.learn import learn_layout

    learned = learn_layout(
        args.corpus,
        args.doc_type,
        args.layout,
        args.out,
        resolve_config(args.config or args.preset),
        limit=args.limit,
        use_cache=not args.no_cache,
    )
    print(
        f"learned {args.doc_type}/{args.layout} from {len(learned.documents)} documents "
        f"in {learned.seconds:.1f} s: {', '.join(learned.documents)}"
    )
    for rule in learned.induced.rules:
        right, total = learned.leave_one_out[rule.name]
        print(
            f"  {rule.name:<26} {type(rule.find).__name__.lower():<8} leave-one-out "
            f"{right}/{total}  {rule.kind}"
        )
    print(f"leave-one-out field accuracy over the examples: {learned.accuracy:.1%}")
    for warning in learned.induced.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"written to {learned.path}; read it with --layouts {learned.path.parent}")
    return EXIT_OK


def _tune(args: argparse.Namespace) -> int:
    from medxtract_lab.corpus import load_corpus
    from medxtract_lab.evaluation.tune import (
        default_study_path,
        format_table,
        tune,
        write_tune_result,
    )

    corpus = load_corpus(args.corpus, doc_type=args.doc_type, source=args.source)
    study = Path(args.study) if args.study else default_study_path(args.out)
    result = tune(
        corpus,
        args.budget,
        study,
        seed=args.seed,
        use_cache=not args.no_cache,
        resume=args.resume,
    )
    config, table = write_tune_result(result, args.out)
    # Every line fits in 100 columns; the CSV holds the rest.
    print("\n".join(format_table(result.trials)))
    states = result.trials["state"].value_counts()
    print(
        f"{len(result.trials)} trials in the study ({states.get('complete', 0)} complete, "
        f"{states.get('pruned', 0)} pruned; add more with --resume)"
    )
    print(f"tuning half: {result.tune_documents} documents, read in {result.slices} slices")
    h = result.holdout
    if result.beat_default:
        print(
            f"trial {result.best_trial} beat default on the tuning half: score "
            f"{h['tune_best_value']:.4f} against {h['tune_default_value']:.4f}"
        )
        tuned = (h["best_field_accuracy"], -h["best_micro_cer"])
        default = (h["default_field_accuracy"], -h["default_micro_cer"])
        print(
            f"held-out half ({h['documents']} documents): tuned accuracy "
            f"{h['best_field_accuracy']:.4f}, CER {h['best_micro_cer']:.4f}; default "
            f"{h['default_field_accuracy']:.4f}, CER {h['default_micro_cer']:.4f}"
        )
        verdict = "better than" if tuned > default else "no better than"
        print(f"on the held-out half the tuned config is {verdict} default")
    else:
        print("no trial beat default on the tuning half; default kept")
        print(
            f"held-out half ({h['documents']} documents): default accuracy "
            f"{h['default_field_accuracy']:.4f}, CER {h['default_micro_cer']:.4f}"
        )
    if result.importances:
        print("parameter importances (PED-ANOVA over the complete trials):")
        ranked = list(result.importances.items())
        width = max(len(name) for name, _ in ranked[:8])
        for name, share in ranked[:8]:
            print(f"  {name.ljust(width)}  {share:.3f}")
        if len(ranked) > 8:
            rest = sum(share for _, share in ranked[8:])
            print(f"  {len(ranked) - 8} more, {rest:.3f} together")
    else:
        print(f"parameter importances not computed: {result.importance_note}")
    print(f"best config: {config}")
    print(f"all trials: {table}")
    print(f"study: {result.study}")
    return EXIT_OK


def _export_labelstudio(args: argparse.Namespace) -> int:
    from medxtract_lab.config import resolve_config
    from medxtract_lab.labelstudio import export_tasks

    summary = export_tasks(
        args.corpus,
        args.out,
        doc_type=args.doc_type,
        dpi=args.dpi,
        images=args.images,
        document_root=args.document_root,
        config=resolve_config(args.config or args.preset),
        progress_mode="terminal",
    )
    root = summary.document_root.resolve()
    print(
        f"wrote {_count(summary.pages, 'task')} ({_count(summary.documents, 'document')}) to "
        f"{summary.tasks}, their "
        f"page images under {summary.images}, and the labelling config {summary.config}"
    )
    for doc_id in summary.unread:
        print(f"medxtract: warning: {doc_id} could not be read: no field regions", file=sys.stderr)
    if summary.unplaced:
        count = sum(len(names) for names in summary.unplaced.values())
        print(
            f"{count} value(s) in {len(summary.unplaced)} document(s) had no box to show them "
            "in: draw their regions, or they keep their current value on import"
        )
    print(
        "in Label Studio: start it with LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true and "
        f"LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT={root}; in a project whose labelling config "
        f"is {summary.config.name}, add a Local files source storage with the path "
        f"{summary.images.resolve()} (no sync needed), then import {summary.tasks.name}"
    )
    return EXIT_OK


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}{'' if number == 1 else 's'}"


def _import_labelstudio(args: argparse.Namespace) -> int:
    from medxtract_lab.labelstudio import describe_import, import_annotations

    summary = import_annotations(args.export, args.corpus, labeled_by=args.labeled_by)
    kept = f" (previous versions in {Path(args.corpus) / '.history'})" if summary.written else ""
    print(
        f"imported {_count(len(summary.written), 'document')} into {args.corpus}{kept}, "
        f"{len(summary.unchanged)} unchanged, {len(summary.skipped)} skipped"
    )
    for line in describe_import(summary):
        print(line)
    return EXIT_OK


def _few_malloc_arenas() -> None:
    """Two malloc arenas for the server (glibc): every request and page thread otherwise gets
    its own, each keeping the memory it freed. benchmarks/load_api.py, RSS growth over its
    60-second hostile mix: 588 MB with glibc's default, 201 MB with two arenas (both counted
    from before the first read), 19 MB with two counted after a warm-up. Elsewhere this does
    nothing."""
    import contextlib
    import ctypes
    import ctypes.util

    m_arena_max = -8  # glibc's malloc.h
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt(m_arena_max, 2)


def _serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from medxtract_lab.api import ServiceSettings
    from medxtract_lab.api_log import configure_logging

    configure_logging()
    _few_malloc_arenas()
    if args.workers:
        os.environ["MEDXTRACT_WORKERS"] = str(args.workers)
    uvicorn.run(
        "medxtract_lab.api:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        access_log=False,
        timeout_graceful_shutdown=ServiceSettings.from_env().shutdown_grace_s,
    )
    return EXIT_OK


def _ui(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    page = Path(__file__).with_name("ui.py")
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(page),
        "--server.address",
        args.host,
        "--server.port",
        str(args.port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.maxUploadSize",  # the same upload limit as the server, in MB
        os.environ.get("MEDXTRACT_MAX_UPLOAD_MB", "20"),
    ]
    # Streamlit takes this process's place: stopping `medxtract ui` stops the server itself,
    # where a child would have outlived it and kept the port.
    os.execv(command[0], command)
    return EXIT_FAILED  # not reached


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Each option's default shown after it (when it has one), and the description and the
    examples kept as written."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        unset = action.default is None or action.default is False
        if not unset and action.default != argparse.SUPPRESS and "(default" not in text:
            text += " (default: %(default)s)"
        return text


def _config_options(parser: argparse.ArgumentParser, purpose: str = "") -> None:
    """``--preset NAME`` or ``--config FILE``, never both."""
    from medxtract_lab.config import PRESETS  # imported late: `medxtract --help` stays fast

    chosen = parser.add_mutually_exclusive_group()
    what = f"named config {purpose}".rstrip()
    chosen.add_argument("--preset", default="default", help=f"{what}: {sorted(PRESETS)}")
    chosen.add_argument("--config", help="a config file (.json, .yaml)")


def _layouts_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--layouts",
        nargs="+",
        metavar="DIR",
        dest="layout_folders",
        help="also read the document types and layouts in these folders (*.type.yaml, "
        "*.layout.yaml; added to MEDXTRACT_LAYOUTS)",
    )


def _command(
    commands: argparse._SubParsersAction, name: str, summary: str, about: str, examples: str
) -> argparse.ArgumentParser:
    """A subcommand whose help has its summary, what it does, and examples."""
    return commands.add_parser(
        name,
        help=summary,
        description=f"{summary[0].upper()}{summary[1:]}.\n\n{about}" if about else summary,
        epilog="examples:\n" + "\n".join(f"  {line}" for line in examples.splitlines()),
        formatter_class=_HelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    from medxtract_lab.doctypes import doc_type_names

    parser = argparse.ArgumentParser(
        prog="medxtract", description="Structured fields from medical PDFs."
    )
    parser.add_argument("--version", action="version", version=f"medxtract {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    extract = _command(
        commands,
        "extract",
        "extract the fields of PDFs: one as JSON, or many as JSON lines or CSV",
        "One file prints its JSON result; several files or folders (PDFs found\n"
        "recursively) run in parallel with a progress bar and give one record per\n"
        "document, with the error of any file that could not be read. Exit code: 0 when\n"
        "every document was read, else that of the worst failure (2: a bad file, 3:\n"
        "poppler or Tesseract missing).",
        "medxtract extract scan.pdf --type prescription\n"
        "medxtract extract inbox/ --type auto --out results.csv\n"
        "medxtract extract a.pdf b.pdf --preset seed --out results.jsonl",
    )
    extract.add_argument("paths", nargs="+", metavar="PATH", help="PDF files or folders of them")
    extract.add_argument(
        "--type",
        default="auto",
        help=f"document type, one of {doc_type_names()}, or auto to tell it from the labels",
    )
    _config_options(extract)
    extract.add_argument(
        "--out",
        type=_output_file,
        help="write one record per document to this .jsonl or .csv file (stdout when not given)",
    )
    extract.add_argument(
        "--workers", type=int, help="documents read at once (one per core when not given)"
    )
    _layouts_option(extract)
    extract.set_defaults(run=_extract)

    doctypes = _command(
        commands,
        "doctypes",
        "list document types and their fields",
        "Prints a JSON object: each registered type (built in, from --layouts or\n"
        "MEDXTRACT_LAYOUTS, or from a plugin), its fields and its layouts.",
        "medxtract doctypes\nmedxtract doctypes --layouts my_layouts/",
    )
    _layouts_option(doctypes)
    doctypes.set_defaults(run=_doctypes)

    engines = _command(
        commands,
        "engines",
        "list OCR engines, whether each can run here, and what to install",
        "Prints a JSON object: each engine, whether it is available, and the install hint.",
        "medxtract engines",
    )
    engines.set_defaults(run=_engines)

    synth = _command(
        commands,
        "synth",
        "write a labelled synthetic corpus",
        "Writes PDFs and their labels for every document type and capture condition\n"
        "(digital, scan, photo, camera, annotated, columns, dates, rotated), seeded, in each\n"
        "type's house layout or in the named layout families (pharmacy_label, clinic_letterhead,\n"
        "intake_form: digital, scan and photo unless conditions are named).",
        "medxtract synth --out corpus --per-condition 10 --seed 2026\n"
        "medxtract synth --out photos --conditions photo camera --doc-type prescription\n"
        "medxtract synth --out labels --families pharmacy_label --per-condition 10",
    )
    synth.add_argument("--out", required=True, help="folder to write into")
    synth.add_argument(
        "--per-condition", type=int, default=10, help="documents per document type and condition"
    )
    synth.add_argument("--seed", type=int, default=0, help="seeds every document drawn")
    synth.add_argument(
        "--conditions",
        nargs="+",
        help="only these conditions (all when not given; see medxtract_lab/corpus/synth.py)",
    )
    synth.add_argument(
        "--doc-type", nargs="+", help="only these document types (all when not given)"
    )
    synth.add_argument(
        "--families",
        nargs="+",
        help="draw these layout families (each type's 'standard' house layout when not given)",
    )
    synth.set_defaults(run=_synth)

    validate = _command(
        commands,
        "validate",
        "check every label of a corpus folder",
        "Every label is checked against its document type's fields and its PDF's pages;\n"
        "each problem is named with its file. Exit 2 when any label is malformed.",
        "medxtract validate ground_truth",
    )
    validate.add_argument("dir", help="a corpus folder: <type>/<id>.pdf with <id>.json labels")
    validate.set_defaults(run=_validate)

    report = _command(
        commands,
        "report",
        "evaluate a corpus and write the HTML report",
        "Runs the report notebook with papermill (per-field accuracy, CER, confidence, the\n"
        "decision against --compare) and exports it as one offline HTML file. With\n"
        "--baseline it is the CI gate: exit 1 when accuracy drops more than --max-drop.",
        "medxtract report --corpus ground_truth --compare seed --out reports/\n"
        "medxtract report --corpus ground_truth --out reports/ --baseline reports/baseline.json",
    )
    report.add_argument("--corpus", required=True, help="folder of labelled documents")
    _config_options(report)
    report.add_argument("--compare", help="a second preset or config file to compare with")
    report.add_argument("--limit", type=int, help="at most N documents (stratified)")
    report.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://HOST:8786")
    report.add_argument("--no-cache", action="store_true", help="ignore the OCR cache")
    report.add_argument("--out", required=True, help="output folder")
    report.add_argument(
        "--baseline", help="a baseline metrics file (reports/baseline.json): exit 1 on a drop"
    )
    report.add_argument(
        "--max-drop",
        type=float,
        default=0.5,
        help="accuracy points a source or field may drop against the baseline (default 0.5)",
    )
    _layouts_option(report)
    report.set_defaults(run=_report)

    tune = _command(
        commands,
        "tune",
        "search preprocessing settings on a corpus with Optuna (TPE, pruning)",
        "Trials run on a tuning split and the best is checked on a held-out split; the\n"
        "study is kept in SQLite, so --resume adds trials to it.",
        "medxtract tune --corpus ground_truth --source photo --budget 12 --out tuned.yaml\n"
        "medxtract tune --corpus ground_truth --out tuned.yaml --budget 10 --resume",
    )
    tune.add_argument("--corpus", required=True, help="folder of labelled documents")
    tune.add_argument(
        "--source", help="only documents of this source (real, or a condition such as photo)"
    )
    tune.add_argument("--doc-type", help="only documents of this type")
    tune.add_argument(
        "--budget", type=int, default=12, help="number of trials (more trials with --resume)"
    )
    tune.add_argument("--seed", type=int, default=0, help="seeds the split and the sampler")
    tune.add_argument("--no-cache", action="store_true", help="ignore the OCR cache")
    tune.add_argument("--out", required=True, help="where to write the best config (.yaml/.json)")
    tune.add_argument(
        "--study", help="the SQLite file of the Optuna study (default: <out stem>.study.db)"
    )
    tune.add_argument(
        "--resume", action="store_true", help="add --budget trials to the existing study"
    )
    _layouts_option(tune)
    tune.set_defaults(run=_tune)

    learn = _command(
        commands,
        "learn",
        "learn a new layout of a document type from a few labelled documents",
        "For each field, finds the label or the label's line that places the labelled value\n"
        "on every example (using the words' positions), the value's kind and extent, and\n"
        "writes a commented layout file a person can edit. Prints leave-one-out accuracy\n"
        "over the examples and warns about fields it could not anchor. Needs 3 or more\n"
        "labelled documents of the layout (5 is a good start).",
        "medxtract learn --corpus labelled/ --doc-type prescription --layout pharmacy_label \\\n"
        "    --out my_layouts/prescription.pharmacy_label.layout.yaml\n"
        "medxtract extract label.pdf --type auto --layouts my_layouts/",
    )
    learn.add_argument("--corpus", required=True, help="folder of labelled documents")
    learn.add_argument("--doc-type", required=True, help="the type the documents are")
    learn.add_argument(
        "--layout", required=True, help="the new layout's name (letters, digits and _)"
    )
    learn.add_argument(
        "--out", required=True, help="the layout file to write (<type>.<layout>.layout.yaml)"
    )
    learn.add_argument(
        "--limit", type=int, help="learn from at most N documents (stratified by source)"
    )
    _config_options(learn, "the pages are read with")
    learn.add_argument("--no-cache", action="store_true", help="ignore the OCR cache")
    _layouts_option(learn)
    learn.set_defaults(run=_learn)

    export_ls = _command(
        commands,
        "export-labelstudio",
        "write a corpus as Label Studio tasks with pre-annotations",
        "One task per page image: each line of a field's value is a labelled rectangle\n"
        "with its transcription (Label Studio's OCR template), boxes from an extraction,\n"
        "text from the label when the document is labelled. Writes OUT (JSON tasks),\n"
        "the page images as PNG (served by Label Studio's local-files storage), and the\n"
        "labelling config OUT-stem.<type>.xml built from the type's fields.",
        "medxtract export-labelstudio ground_truth ls/tasks.json --doc-type prescription\n"
        "medxtract export-labelstudio inbox/ /data/ls/tasks.json --document-root /data/ls",
    )
    export_ls.add_argument("corpus", help="a corpus folder: <type>/<id>.pdf with <id>.json labels")
    export_ls.add_argument("out", type=_json_file, help="the tasks file to write (.json)")
    export_ls.add_argument(
        "--doc-type", help="only documents of this type (needed when the corpus holds several)"
    )
    export_ls.add_argument("--dpi", type=int, default=150, help="resolution of the page images")
    export_ls.add_argument(
        "--images", help="folder for the page images (default: <OUT stem>_images beside OUT)"
    )
    export_ls.add_argument(
        "--document-root",
        help="Label Studio's LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT; image URLs are relative "
        "to it (default: the folder of OUT)",
    )
    _config_options(export_ls, "the boxes are read with")
    _layouts_option(export_ls)
    export_ls.set_defaults(run=_export_labelstudio)

    import_ls = _command(
        commands,
        "import-labelstudio",
        "read a Label Studio JSON export back into a corpus's labels",
        "Each field's value is the transcriptions of the regions labelled with it, top to\n"
        "bottom, joined by newlines; the page text comes from the page's text area. Every\n"
        "task is checked against the type's contract first: any problem (not JSON, an\n"
        "unknown document or field, a value of the wrong shape) is listed and nothing is\n"
        "written (exit 2). Changed labels are saved atomically, the previous version kept\n"
        "in CORPUS/.history/. A document is imported once every page of it is annotated.",
        "medxtract import-labelstudio project-1-export.json ground_truth\n"
        "medxtract import-labelstudio export.json ground_truth --labeled-by alice",
    )
    import_ls.add_argument("export", help="the file of Label Studio's Export > JSON")
    import_ls.add_argument("corpus", help="the corpus folder the tasks were exported from")
    import_ls.add_argument(
        "--labeled-by",
        help="who the labels are recorded as labelled by (default: the annotation's "
        "Label Studio user)",
    )
    _layouts_option(import_ls)
    import_ls.set_defaults(run=_import_labelstudio)

    serve = _command(
        commands,
        "serve",
        "start the FastAPI extraction server",
        "Limits come from MEDXTRACT_* environment variables (see the README); /docs works\n"
        "offline. SIGTERM lets requests in flight finish for MEDXTRACT_SHUTDOWN_GRACE_S.",
        "medxtract serve --port 8000\nMEDXTRACT_DOC_TIMEOUT_S=60 medxtract serve --workers 4",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument(
        "--workers", type=int, help="documents extracted at once (one per core when not given)"
    )
    _layouts_option(serve)
    serve.set_defaults(run=_serve)

    ui = _command(
        commands,
        "ui",
        "start the Streamlit page",
        "Upload a PDF, see and correct its fields, download JSON or CSV. It calls the\n"
        "server at MEDXTRACT_API_URL when set, else reads in-process.",
        "medxtract ui --port 8501",
    )
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on")
    ui.add_argument("--port", type=int, default=8501, help="port to listen on")
    _layouts_option(ui)
    ui.set_defaults(run=_ui)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "layout_folders", None):
            from medxtract_lab.doctypes import use_layout_folders

            use_layout_folders(args.layout_folders)
        return args.run(args)
    except MedXtractError as error:
        print(f"medxtract: {error.code}: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
