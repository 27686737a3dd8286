"""The ``juesuan`` command line. Heavy imports happen inside the commands, so ``--help`` is fast.

Exit codes: 0 done; 1 the check found errors; 2 unusable input or arguments (a Chinese message on
stderr, nothing written).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from juesuan import __version__
from juesuan.errors import JuesuanError

_ARGPARSE_CN = [
    (r"argument (?:命令|操作): invalid choice: (.*?) \(choose from (.*)\)", r"没有命令 \1（可用：\2）"),
    (r"the following arguments are required: (.*)", r"缺少必需的参数：\1"),
    (r"unrecognized arguments: (.*)", r"不认识的参数：\1"),
    (r"argument (\S+): expected one argument", r"参数 \1 后面需要一个值"),
    (r"argument (\S+): invalid int value: (.*)", r"参数 \1 需要整数，收到 \2"),
    (r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)", r"参数 \1 的取值 \2 无效（可选：\3）"),
    (r"invalid choice: (.*?) \(choose from (.*)\)", r"没有命令 \1（可用：\2）"),
    (r"ambiguous option: (\S+) could match (.*)", r"选项 \1 不明确，可能是：\2"),
    (r"argument (\S+): not allowed with argument (.*)", r"参数 \1 不能与 \2 同时使用"),
    (r"argument (\S+): ignored explicit argument (.*)", r"参数 \1 不接受值 \2"),
    (r"argument (\S+): (.*)", r"参数 \1：\2"),  # the rest: our own Chinese texts (年度应是四位数字……)
]
# argparse's own words in usage and help, in Chinese
_HELP_CN = [("usage: ", "用法："), ("positional arguments:", "位置参数："), ("options:", "选项："),
            ("optional arguments:", "选项："), ("show this help message and exit", "显示本帮助并退出"),
            ("show program's version number and exit", "显示版本号并退出")]


def _suggestion(message: str) -> str:
    """``是不是要输入 check？`` for a mistyped command or choice."""
    import difflib

    m = re.search(r"invalid choice: '?([^' ]*)'? \(choose from (.*)\)", message)
    if not m:
        return ""
    choices = [c.strip(" '") for c in m.group(2).split(",")]
    close = difflib.get_close_matches(m.group(1), choices, n=1, cutoff=0.5)
    return f"。是不是要输入 {close[0]}？" if close else ""


class _Parser(argparse.ArgumentParser):
    def format_usage(self):
        return _cn(super().format_usage())

    def format_help(self):
        return _cn(super().format_help())

    def error(self, message):  # Chinese messages, exit code 2
        hint = _suggestion(message)
        for pattern, repl in _ARGPARSE_CN:
            if re.search(pattern, message):
                message = re.sub(pattern, repl, message)
                break
        self.print_usage(sys.stderr)
        print(f"错误：{message}{hint}", file=sys.stderr)
        raise SystemExit(2)


def _cn(text: str) -> str:
    for en, cn in _HELP_CN:
        text = text.replace(en, cn)
    return text


def _year(text: str) -> int:
    if not re.fullmatch(r"(19|20|21)\d\d", text.strip()):
        raise argparse.ArgumentTypeError(f"年度应是四位数字，例如 2024，收到「{text}」")
    return int(text)


def _add_check(sub) -> None:
    c = sub.add_parser("check", help="按全部审核规则检查填好的工作簿（或一个文件夹中的全部工作簿）",
                       description="检查填好的公开01–09表工作簿。退出码：0 没有错误（警告和提示不算），1 有错误，2 文件无法使用。")
    c.add_argument("path", help="工作簿（.xlsx）或文件夹")
    c.add_argument("--format", choices=["text", "json"], default="text", help="输出格式（默认 text）")
    c.add_argument("-o", "--output-dir", help="检查文件夹时，汇总报告写到这里（默认 ./juesuan-检查结果）")
    c.add_argument("--workers", type=int, help="检查文件夹时并行的进程数（默认为 CPU 核数）")
    c.add_argument("--annotate", metavar="OUT.xlsx", help="另存一份标注了问题的工作簿（单元格着色、批注、“校验结果”工作表）；原文件不改动")
    c.add_argument("--force", action="store_true", help="覆盖已存在的标注文件或汇总报告（原文件保留为 .bak）")
    c.add_argument("--profile", help="按指定表样读取（national-2024、shanghai-2024，或自己的 .yaml 表样文件）；默认自动识别")
    c.add_argument("--explain", action="store_true", help="列出每张表的读取情况：从哪个工作表、哪些单元格、哪一列当作哪一栏、单位、未读取的内容")
    c.add_argument("--narrative", metavar="情况说明", help="同时检查情况说明（.docx/.pdf/.txt/.md）中的数字与公开表是否一致")


def _add_extract(sub) -> None:
    e = sub.add_parser("extract", help="把已公开的 PDF（或别人的工作簿）中的公开表读出来，写成 juesuan 的工作簿",
                       description="读出 PDF 中的公开01–09表，写成 juesuan 的标准工作簿：印出的数字原样写成常数（合计也是），"
                                   "便于检查、标注、迁移到新年度或比较。放不进去的数字逐个列出，不会丢弃。"
                                   "扫描件（没有文字层）无法读取：juesuan 不做文字识别（OCR）。")
    e.add_argument("source", help="PDF 文件（也可以是工作簿）")
    e.add_argument("-o", "--output", required=True, help="输出文件（.xlsx）")
    e.add_argument("--force", action="store_true", help="允许覆盖已存在的输出文件")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="juesuan", description="决算：部门决算公开（公开01表–公开09表）的表样生成、填报与审核工具。",
                epilog="每个命令的用法：juesuan 命令 -h，例如 juesuan check -h。")
    p.add_argument("--version", action="version", version=f"juesuan {__version__}")
    sub = p.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)

    t = sub.add_parser("template", help="生成空白的公开01–09表工作簿（公式、保护、打印设置齐全）",
                       description="生成空白的公开01–09表工作簿。功能分类行由给出的项级代码生成，类、款行自动补齐。")
    t.add_argument("-o", "--output", required=True, help="输出文件（.xlsx）")
    t.add_argument("--dept", required=True, help="部门名称")
    t.add_argument("--year", type=_year, default=2024, help="决算年度（默认 2024）")
    t.add_argument("--codes", help="一般公共预算财政拨款支出的项级代码，逗号分隔；代码=名称 可给出名称"
                                   "（进入 02、03、05 表），例如 2010101,2150517=产业发展")
    t.add_argument("--fund-codes", help="政府性基金预算财政拨款支出的项级代码（进入 02、03、07 表）")
    t.add_argument("--soe-codes", help="国有资本经营预算财政拨款支出的项级代码（进入 02、03、08 表）")
    t.add_argument("--other-codes", help="非财政拨款资金支出的项级代码（只进入 02、03 表）")
    t.add_argument("--with-30311", action="store_true", help="06 表加入 30311 代缴社会保险费")
    t.add_argument("--force", action="store_true", help="覆盖已存在的输出文件（原文件保留为 .bak）")

    f = sub.add_parser("fill", help="按数据文件（YAML/JSON，万元）生成已填好的工作簿",
                       description="按数据文件生成已填好的工作簿。数据文件格式见 README。")
    f.add_argument("data", help="数据文件（.yaml/.yml/.json）")
    f.add_argument("-o", "--output", required=True, help="输出文件（.xlsx）")
    f.add_argument("--force", action="store_true", help="覆盖已存在的输出文件（原文件保留为 .bak）")
    f.add_argument("--unit", choices=["万元", "元"], default="万元", help="数据文件中金额的单位（默认 万元）")
    f.add_argument("--balance", choices=["on", "off"], default="on",
                   help="单位为元时：on 舍位平衡（默认），off 逐格四舍五入（保留尾差）")

    d = sub.add_parser("demo", help="用内置示例部门演示：生成空白表样和两份填好的工作簿",
                       description="用内置示例（洛阳市洛龙区工业和信息化局 2024 年度）演示全部功能。")
    d.add_argument("-o", "--output-dir", default="juesuan-demo", help="输出文件夹（默认 ./juesuan-demo）")
    d.add_argument("--force", action="store_true", help="覆盖文件夹中已存在的示例文件（原文件保留为 .bak）")

    _add_check(sub)

    n = sub.add_parser("narrate", help="按工作簿中的公开表写出第三部分 情况说明（.docx/.md/.txt）",
                       description="按公开表和“情况说明数据”工作表写出情况说明；缺少的数据写成【待填：…】并逐项列出。")
    n.add_argument("workbook", help="工作簿（.xlsx）")
    n.add_argument("-o", "--output", required=True, help="输出文件（.docx、.md 或 .txt）")
    n.add_argument("--copy", metavar="OUT.xlsx",
                   help="同时另存一份加入“情况说明”工作表的工作簿（默认：原文件名加“-情况说明”，同一文件夹）；原文件不改动")
    n.add_argument("--force", action="store_true", help="覆盖已存在的输出文件（原文件保留为 .bak）")

    _tool_commands(sub)
    return p


def _tool_commands(sub) -> None:
    """The commands around the main job: catalog, excel-addin, migrate, rules, recalc, pdf."""
    cat = sub.add_parser("catalog", help="分类科目：导入官方《政府收支分类科目》Excel 文件，查看当前使用的分类科目")
    catsub = cat.add_subparsers(dest="catalog_command", metavar="操作", parser_class=_Parser)
    ci = catsub.add_parser("import", help="导入官方分类科目 Excel 文件（保存到用户数据目录）")
    ci.add_argument("file", help="官方分类科目文件（.xlsx）")
    ci.add_argument("--edition", type=_year, help="版本年度（默认从文件名识别；识别不到时须给出）。只用于同一年度的工作簿")
    catsub.add_parser("show", help="显示已导入的分类科目和各年度使用的分类科目")
    cr = catsub.add_parser("remove", help="删除已导入的某一版分类科目（恢复使用内置分类科目）")
    cr.add_argument("--edition", type=_year, help="版本年度（只导入过一版时可省略）")

    xa = sub.add_parser("excel-addin", help="安装 Excel 加载项的步骤（xlwings）：在 Excel 中一键检查当前工作簿",
                        description="写出 VBA 模块 juesuan.bas 并列出在 Excel（Windows）中安装的步骤。需要：pip install 'juesuan[xlwings]'。")
    xa.add_argument("-o", "--output-dir", default=".", help="juesuan.bas 写到这里（默认当前文件夹）")
    xa.add_argument("--force", action="store_true", help="覆盖已存在的 juesuan.bas（原文件保留为 .bak）")

    _add_extract(sub)
    m = sub.add_parser("migrate", help="把填好的工作簿搬到新表样（增删科目、换年度），逐格带过所有填写的金额",
                       description="生成新表样并带过旧工作簿中每个填写的金额。新表样中没有位置的金额会逐个列出（含原单元格），"
                                   "此时不写文件、退出码 1；加 --force 则照样生成。")
    m.add_argument("old", help="旧工作簿（.xlsx）")
    m.add_argument("-o", "--output", required=True, help="新工作簿（.xlsx）")
    m.add_argument("--add-codes", help="增加的一般公共预算项级代码（02、03、05 表），可写 代码=名称")
    m.add_argument("--add-fund-codes", help="增加的政府性基金项级代码（02、03、07 表）")
    m.add_argument("--add-soe-codes", help="增加的国有资本经营项级代码（02、03、08 表）")
    m.add_argument("--add-other-codes", help="增加的非财政拨款项级代码（02、03 表）")
    m.add_argument("--remove-codes", help="删除的项级代码（所有表）")
    m.add_argument("--year", type=_year, help="新表样的年度（默认沿用旧工作簿的年度）")
    m.add_argument("--force", action="store_true", help="有金额无处安放时仍生成新工作簿；也允许覆盖已存在的输出文件")

    r = sub.add_parser("rules", help="列出全部审核规则（来自表样模型）")
    r.add_argument("--format", choices=["text", "markdown"], default="text", help="输出格式")

    rc = sub.add_parser("recalc", help="用 LibreOffice 重算工作簿中的全部公式，另存一份")
    rc.add_argument("file", help="工作簿（.xlsx）")
    rc.add_argument("-o", "--output-dir", required=True, help="输出文件夹")
    rc.add_argument("--force", action="store_true", help="覆盖输出文件夹中已存在的同名文件（原文件保留为 .bak）")

    pd = sub.add_parser("pdf", help="用 LibreOffice 把九张公开表打印成 PDF（不含“校验”“校验结果”工作表，填写处不印底色）",
                        description="把工作簿中的公开01–09表导出为一个 PDF，用于公开。需要 LibreOffice。原文件不改动。")
    pd.add_argument("file", help="工作簿（.xlsx）")
    pd.add_argument("-o", "--output", required=True, help="输出文件（.pdf）")
    pd.add_argument("--force", action="store_true", help="覆盖已存在的输出文件（原文件保留为 .bak）")


class _SafeStream:
    """A console stream that never passes on control characters from a workbook's text (an escape
    sequence could repaint the screen to show a false 通过), and never fails on a console that
    cannot show Chinese (GBK or ASCII): what it cannot encode becomes ``?``."""

    _CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

    def __init__(self, stream, keep_cr: bool):
        self._stream = stream
        self._keep_cr = keep_cr
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):
            pass

    def write(self, text: str) -> int:
        text = self._CONTROL.sub("", text)
        if not self._keep_cr:
            text = text.replace("\r", "")
        return self._stream.write(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    sys.stdout = _SafeStream(sys.__stdout__ if sys.stdout is sys.__stdout__ else sys.stdout, keep_cr=False)
    sys.stderr = _SafeStream(sys.__stderr__ if sys.stderr is sys.__stderr__ else sys.stderr, keep_cr=True)
    try:
        return _run(argv)
    except BrokenPipeError:  # `juesuan rules | head`: the reader has what it wanted
        import os

        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.__stdout__.fileno())
        except (OSError, ValueError):
            pass
        return 0
    finally:
        sys.stdout = getattr(sys.stdout, "_stream", sys.stdout)
        sys.stderr = getattr(sys.stderr, "_stream", sys.stderr)


def _run(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:  # bare `juesuan`: what there is to do, as a usage error
        parser.print_help(sys.stderr)
        return 2
    try:
        return _COMMANDS[args.command](args)
    except JuesuanError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        raise
    except OSError as exc:  # a read-only folder, a full disk, a file open elsewhere
        where = f"「{exc.filename}」" if exc.filename else ""
        print(f"错误：无法读写文件{where}：{exc.strerror or exc}（请检查文件夹权限和磁盘空间）。", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130


# --------------------------------------------------------------------------------------------------
# Commands


def _cmd_template(args) -> int:
    from juesuan.api import build_template, parse_code_list
    from juesuan.util.atomic import save_workbook

    lists, names = {}, {}
    for opt in ("codes", "fund_codes", "soe_codes", "other_codes"):
        codes, nm = parse_code_list(getattr(args, opt), "--" + opt.replace("_", "-"))
        lists[opt] = codes
        names.update(nm)
    layout, wb = build_template(args.dept, args.year, names=names, econ_extra={"30311"} if args.with_30311 else (),
                                **lists)
    out = save_workbook(wb, args.output, force=args.force)
    from juesuan.rules.graph import graph_of

    n = sum(len(t.rows) - 1 for t in layout.tables_of("coded"))
    print(f"已生成空白表样：{out}（{len(layout.tables)} 张表，功能分类科目行 {n} 行，可填单元格 {len(graph_of(layout).inputs)} 个）")
    return 0


def _cmd_fill(args) -> int:
    from juesuan.api import fill_workbook
    from juesuan.util.atomic import save_workbook
    from juesuan.fill.datafile import print_warnings

    filled, wb = fill_workbook(args.data, unit=args.unit, balance=args.balance == "on")
    print_warnings(filled.warnings)
    out = save_workbook(wb, args.output, force=args.force)
    print(f"已生成填好的工作簿：{out}（{filled.layout.department}，{filled.layout.year} 年度，"
          f"写入金额 {len(filled.values)} 个）")
    if filled.balance is not None:
        _print_balance(filled.balance, args.balance == "on")
    return 0


def _print_balance(result, on: bool) -> None:
    from juesuan.util.money import money

    if not on:
        print("已按元换算为万元，逐格四舍五入（未做舍位平衡）：合计与各项之和可能有尾差，juesuan check 会作为提示列出。")
        return
    moved_in = [m for m in result.moved if not m.derived]
    moved_tot = [m for m in result.moved if m.derived]
    print(f"舍位平衡：{len(moved_in)} 个填写单元格、{len(moved_tot)} 个合计单元格与逐格四舍五入不同"
          f"（每个公布数都是其元数换算后向下或向上取到 0.01 万元，不会更远）。")
    if result.note: print(f"注意：{result.note}")  # the solver stopped short of optimal
    if result.moved:
        print(f"  {'单元格':18} {'元':>16} {'四舍五入':>12} {'公布值':>12}")
        for m in result.moved:
            kind = "（合计）" if m.derived else ""
            print(f"  {m.cell + kind:18} {m.yuan:>16,.2f} {money(m.plain):>12} {money(m.published):>12}")
    if result.unbalanced:
        print(f"以下 {len(result.unbalanced)} 条关系在这组数据中无法同时精确平衡，保留尾差（检查时为提示）：")
        for u in result.unbalanced:
            print(f"  {u}")
    else:
        print("所有合计都等于其公布的各项之和，表内、表间关系全部精确成立。")


def _cmd_narrate(args) -> int:
    from juesuan.narrative.compose import narrate_file
    from juesuan.narrative.write import write_narrative

    from juesuan.writeback.textsheet import write_text_sheet

    book = Path(args.workbook)
    copy = Path(args.copy) if args.copy else book.with_name(f"{book.stem}-情况说明.xlsx")
    for p in (Path(args.output), copy):
        if p.exists() and not args.force:  # checked before anything is written
            raise JuesuanError(f"文件「{p}」已存在，未覆盖。换一个文件名，或加 --force 覆盖（原文件保留为 .bak 备份）。")
    narr = narrate_file(book)
    out = write_narrative(narr, args.output, force=args.force)
    print(f"已写出情况说明：{out}（{len(narr.parts)} 节）")
    kept = write_text_sheet(book, copy, [t for _, t in narr.lines()], force=args.force)
    print(f"已另存加入“情况说明”工作表的工作簿：{copy}（检查它时同时检查这份情况说明）")
    if kept["not_kept"]:
        print(f"注意：原文件中的{'、'.join(kept['not_kept'])}不会出现在这份副本中（原文件不变）。")
    if narr.missing:
        print(f"以下 {len(narr.missing)} 项数据公开表中没有，已写成【待填：…】，请在“情况说明数据”工作表中填写后重新生成：")
        for label in narr.missing:
            print(f"  {label}")
    return 0


def _cmd_demo(args) -> int:
    from juesuan.demo import run_demo

    run_demo(Path(args.output_dir), force=args.force)
    return 0


def _cmd_rules(args) -> int:
    from juesuan.render.docs import rules_text

    print(rules_text(markdown=args.format == "markdown"))
    return 0


def _cmd_recalc(args) -> int:
    from juesuan.recalc import recalculate

    src = Path(args.file)
    if not src.is_file():
        raise JuesuanError(f"文件「{src}」不存在。")
    out = recalculate(src, args.output_dir, force=args.force)
    print(f"已重算：{out}")
    return 0


def _cmd_pdf(args) -> int:
    from juesuan.recalc import export_pdf

    src = Path(args.file)
    if not src.is_file():
        raise JuesuanError(f"文件「{src}」不存在。")
    out, printed = export_pdf(src, args.output, force=args.force)
    print(f"已导出 PDF：{out}（{len(printed)} 张表：{'、'.join(printed)}）")
    return 0


def _cmd_check(args) -> int:
    target = Path(args.path)
    if target.is_dir():
        return _check_dir(args, target)
    from juesuan.validate.engine import check
    from juesuan.validate.frames import preload
    from juesuan.writeback.text import render_reading, render_text

    preload()

    if args.annotate and target.suffix.lower() == ".pdf":
        raise JuesuanError("PDF 不能标注：请先用 juesuan extract 把 PDF 转成工作簿，再对工作簿检查并标注。")
    if args.annotate:  # refused before checking, not after printing the whole report
        from juesuan.errors import InputError
        from juesuan.util.atomic import refuse_existing

        if target.resolve() == Path(args.annotate).resolve():
            raise InputError(f"标注副本不能覆盖被检查的文件「{target}」：请用另一个文件名。")
        refuse_existing(Path(args.annotate), args.force)
    report = check(target, profile=_profile(args.profile))
    from juesuan.util.names import NARRATIVE_SHEET

    narrative = args.narrative or _pdf_narrative(target)  # the --narrative file, a PDF's own text pages
    sheets = report.source_sheets
    own_sheet = target.suffix.lower() != ".pdf" and (sheets is None or NARRATIVE_SHEET in sheets)
    attached = None
    if narrative or own_sheet:  # or the 情况说明 sheet
        from juesuan.narrative.check import attached_narrative

        attached = attached_narrative(target, narrative, sheets)
    if attached:
        report.narrative, report.narrative_file = attached
    print(report.to_json() if args.format == "json" else render_text(report))
    if args.explain and args.format != "json":
        print(render_reading(report))
    if args.annotate:
        from juesuan.writeback.marks import annotate_file

        counts = annotate_file(target, args.annotate, report, force=args.force)
        out = sys.stderr if args.format == "json" else sys.stdout
        print(f"已写出标注副本：{args.annotate}（标注单元格 {counts['cells']} 个）", file=out)
        if counts.get("ignored"):
            print(f"提示：上次标注的记录中有 {counts['ignored']} 项无法识别（工作表可能被改动），已忽略。", file=out)
        if counts.get("not_kept"):
            print(f"注意：原文件中的{'、'.join(counts['not_kept'])}不会出现在标注副本中（原文件不变）。", file=out)
    return report.exit_code


def _pdf_narrative(target: Path) -> Path | None:
    """A PDF disclosure's own 情况说明 (its text pages), checked with its tables."""
    if target.suffix.lower() != ".pdf":
        return None
    from juesuan.read.pdf import has_narrative

    return target if has_narrative(target) else None


def _profile(name: str | None):
    """The profile ``--profile`` names: a shipped one, or a .yaml file of the user's own."""
    if not name:
        return None
    from juesuan.model.profile import load_profile, profile_from_text

    path = Path(name)
    if path.suffix.lower() in (".yaml", ".yml"):
        if not path.is_file():
            raise JuesuanError(f"表样文件「{path}」不存在。")
        return profile_from_text(path.read_text(encoding="utf-8"))
    return load_profile(name)


def _check_dir(args, folder: Path) -> int:
    from juesuan.batch import FolderRun, write_reports
    from juesuan.validate.report import counts_text

    out_dir = Path(args.output_dir) if args.output_dir else Path("juesuan-检查结果")
    run = FolderRun(folder, args.workers)
    lines: list[tuple[str, str]] = []  # (status, line) per file: the findings themselves go straight to the reports

    def results():
        for r in run.results():
            c = r["counts"]
            extra = f"：{r['error']}" if r.get("error") else f"（{counts_text(c)}）"
            if r.get("narrative"):  # the counts above include the 情况说明's; here they are on their own
                extra += f"；情况说明 {r['narrative']['file']}：{counts_text(r['narrative']['counts'])}"
            lines.append((r["status"], f"{r['status']:4}  {r.get('path') or Path(r['file']).name}{extra}"))
            yield r

    xlsx, js = write_reports(results(), folder, out_dir, force=args.force)  # refuses existing reports first
    if args.format == "json":
        import shutil

        with js.open(encoding="utf-8") as fh:
            shutil.copyfileobj(fh, sys.stdout)
        print()
    else:
        for _, line in lines:
            print(line)
        bad = sum(1 for status, _ in lines if status != "通过")
        skipped = sum(1 for status, _ in lines if status == "已跳过")
        print(f"共 {len(lines)} 个文件：{len(lines) - bad} 个通过，{bad} 个未通过或无法读取"
              + (f"（其中 {skipped} 个不是 .xlsx，已跳过）" if skipped else "") + "。")
        print(f"汇总报告：{xlsx}")
        print(f"　　　　　{js}")
    return 0 if all(status == "通过" for status, _ in lines) else 1


def _cmd_catalog(args) -> int:
    from juesuan.catalog import default_catalog, imported_catalogs, remove_imported
    from juesuan.read.catalog_import import import_catalog

    if args.catalog_command == "import":
        edition, nf, ne, folder = import_catalog(args.file, args.edition)
        how = "" if args.edition else "（版本年度取自文件名；不对时用 --edition 指明）"
        print(f"已导入 {edition} 版分类科目{how}：功能分类 {nf} 个代码，经济分类 {ne} 个代码。保存在 {folder}")
        print(f"此后检查 {edition} 年度的工作簿时，未在分类科目中的代码按错误报告；其他年度不受影响。"
              f"撤销：juesuan catalog remove --edition {edition}")
        return 0
    if args.catalog_command == "show":
        cats = imported_catalogs()
        for cat in cats:
            print(f"{cat.edition} 年度：{cat.source}（功能分类 {len(cat.functional)} 个，经济分类 {len(cat.economic)} 个）")
        bundled = default_catalog(2024)
        print(("其他年度" if cats else "各年度") + f"：{bundled.source}（2024、2025 版，功能分类约 {len(bundled.functional)} 个）")
        return 0
    if args.catalog_command == "remove":
        editions = [c.edition for c in imported_catalogs()]
        edition = args.edition or (editions[0] if len(editions) == 1 else None)
        if edition is None:
            raise JuesuanError("已导入多版分类科目，请用 --edition 指明删除哪一版：" + "、".join(map(str, editions))
                               if editions else "没有已导入的分类科目。")
        if not remove_imported(edition):
            raise JuesuanError(f"没有已导入的 {edition} 版分类科目（已导入：{'、'.join(map(str, editions)) or '无'}）。")
        print(f"已删除导入的 {edition} 版分类科目：检查 {edition} 年度的工作簿时恢复使用内置分类科目。")
        return 0
    print("用法：juesuan catalog import 文件.xlsx [--edition 2025] | juesuan catalog show | juesuan catalog remove", file=sys.stderr)
    return 2


def _cmd_excel_addin(args) -> int:
    import importlib.util

    from juesuan.writeback.xl import write_vba_module

    folder = Path(args.output_dir)
    if not folder.is_dir():
        raise JuesuanError(f"文件夹「{folder}」不存在。")
    path = write_vba_module(folder, force=args.force)
    has_xlwings = importlib.util.find_spec("xlwings") is not None
    print(f"已写出 VBA 模块：{path}")
    if not has_xlwings:
        print("注意：还没有安装 xlwings。请先执行：pip install \"juesuan[xlwings]\"")
    print(EXCEL_STEPS)
    return 0


EXCEL_STEPS = """在 Excel（Windows）中安装，只需做一次：
  1. pip install "juesuan[xlwings]"
  2. xlwings addin install            （安装 xlwings 加载项，Excel 里出现 xlwings 选项卡）
  3. Excel：文件 → 选项 → 信任中心 → 信任中心设置 → 宏设置：勾选“信任对 VBA 工程对象模型的访问”
  4. 打开个人宏工作簿（视图 → 宏 → 录制宏，保存在“个人宏工作簿”，随即停止录制），
     按 Alt+F11 打开 VBA 编辑器，文件 → 导入文件 → 选择 juesuan.bas
  5. 仍在 VBA 编辑器中，选中个人宏工作簿（PERSONAL.XLSB）的工程：工具 → 引用，勾选 xlwings，确定
     （不勾选时点按钮会提示“子过程或函数未定义”：RunPython 来自 xlwings）
  6. 文件 → 选项 → 快速访问工具栏：从“宏”中选 JuesuanCheck 添加，即得到一个“检查”按钮
使用：打开填好的公开01–09表工作簿，点这个按钮。工作簿不会被保存或关闭；问题单元格着色、加批注，
并新增“校验结果”工作表。工作表保护（无密码）会在写入时临时撤销、写完恢复；设置了密码的工作表须先撤销保护。WPS 不支持 xlwings：请使用工作簿中的“校验”工作表或命令 juesuan check。"""


def _cmd_migrate(args) -> int:
    from juesuan.api import parse_code_list
    from juesuan.render.workbook import build_workbook
    from juesuan.util.atomic import save_workbook

    if Path(args.output).resolve() == Path(args.old).resolve():
        raise JuesuanError(f"新工作簿不能覆盖旧工作簿「{args.old}」：请用另一个文件名（旧工作簿要保留，迁移才可核对）。")
    from juesuan.migrate import migrate

    add, names = {}, {}
    for opt, kind in (("add_codes", "general"), ("add_fund_codes", "fund"), ("add_soe_codes", "soe"),
                      ("add_other_codes", "other")):
        codes, nm = parse_code_list(getattr(args, opt), "--" + opt.replace("_", "-"))
        add[kind] = codes
        names.update(nm)
    remove, _ = parse_code_list(args.remove_codes, "--remove-codes")
    plan = migrate(args.old, add, set(remove), args.year, names)
    if plan.lost:
        print(f"{'提示' if args.force else '错误'}：以下 {len(plan.lost)} 个金额在新表样中没有位置：", file=sys.stderr)
        for item in plan.lost:
            print(f"  {item.cell}（{item.what}）= {item.value}：{item.why}", file=sys.stderr)
        if not args.force:
            print("未生成新工作簿。核对后可加 --force 照样生成（这些金额不会带过去）。", file=sys.stderr)
            return 1
    out = save_workbook(build_workbook(plan.layout, plan.values), args.output, force=args.force)
    print(f"已生成新工作簿：{out}（{plan.layout.year} 年度，带过金额 {plan.carried} 个）")
    return 0


def _cmd_extract(args) -> int:
    from juesuan.migrate import migrate
    from juesuan.render.workbook import build_workbook
    from juesuan.util.atomic import save_workbook

    if Path(args.output).resolve() == Path(args.source).resolve():
        raise JuesuanError(f"输出文件不能覆盖原文件「{args.source}」：请用另一个文件名。")
    plan = migrate(args.source, keep_totals=True)
    out = save_workbook(build_workbook(plan.layout, plan.values), args.output, force=args.force)
    print(f"已写出工作簿：{out}（{plan.layout.department or '部门未标明'}，{plan.layout.year} 年度，"
          f"写入印出的数字 {plan.carried} 个，均为常数）")
    if plan.lost:
        print(f"注意：以下 {len(plan.lost)} 个数字没有放进工作簿（原样列出，请核对）：")
        for item in plan.lost:
            print(f"  {item.cell}（{item.what}）= {item.value}：{item.why}")
    return 0


_COMMANDS = {"extract": _cmd_extract, "migrate": _cmd_migrate, "excel-addin": _cmd_excel_addin, "check": _cmd_check, "catalog": _cmd_catalog, "template": _cmd_template, "fill": _cmd_fill, "demo": _cmd_demo, "rules": _cmd_rules,
             "recalc": _cmd_recalc, "narrate": _cmd_narrate, "pdf": _cmd_pdf}
