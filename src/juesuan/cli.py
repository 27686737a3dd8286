"""The ``juesuan`` command line. Heavy imports happen inside the commands, so ``--help`` is fast.

Exit codes: 0 done; 1 the check found errors; 2 unusable input or arguments (a Chinese message on
stderr, nothing written).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from . import __version__
from .errors import JuesuanError

_ARGPARSE_CN = [
    (r"the following arguments are required: (.*)", r"缺少必需的参数：\1"),
    (r"unrecognized arguments: (.*)", r"不认识的参数：\1"),
    (r"argument (\S+): expected one argument", r"参数 \1 后面需要一个值"),
    (r"argument (\S+): invalid int value: (.*)", r"参数 \1 需要整数，收到 \2"),
    (r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)", r"参数 \1 的取值 \2 无效（可选：\3）"),
    (r"invalid choice: (.*?) \(choose from (.*)\)", r"没有命令 \1（可用：\2）"),
]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # Chinese messages, exit code 2
        for pattern, repl in _ARGPARSE_CN:
            if re.search(pattern, message):
                message = re.sub(pattern, repl, message)
                break
        self.print_usage(sys.stderr)
        print(f"错误：{message}", file=sys.stderr)
        raise SystemExit(2)


def _year(text: str) -> int:
    if not re.fullmatch(r"(19|20|21)\d\d", text.strip()):
        raise argparse.ArgumentTypeError(f"年度应是四位数字，例如 2024，收到「{text}」")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="juesuan", description="决算：部门决算公开（公开01表–公开09表）的表样生成、填报与审核工具。")
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

    d = sub.add_parser("demo", help="用内置示例部门演示：生成空白表样和两份填好的工作簿",
                       description="用内置示例（洛阳市洛龙区工业和信息化局 2024 年度）演示全部功能。")
    d.add_argument("-o", "--output-dir", default="juesuan-demo", help="输出文件夹（默认 ./juesuan-demo）")

    r = sub.add_parser("rules", help="列出全部审核规则（来自表样模型）")
    r.add_argument("--format", choices=["text", "markdown"], default="text", help="输出格式")

    rc = sub.add_parser("recalc", help="用 LibreOffice 重算工作簿中的全部公式，另存一份")
    rc.add_argument("file", help="工作簿（.xlsx）")
    rc.add_argument("-o", "--output-dir", required=True, help="输出文件夹")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    try:
        return _COMMANDS[args.command](args)
    except JuesuanError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130


# --------------------------------------------------------------------------------------------------
# Commands


def _cmd_template(args) -> int:
    from .api import build_template, parse_code_list
    from .builder import save_workbook

    lists, names = {}, {}
    for opt in ("codes", "fund_codes", "soe_codes", "other_codes"):
        codes, nm = parse_code_list(getattr(args, opt), "--" + opt.replace("_", "-"))
        lists[opt] = codes
        names.update(nm)
    layout, wb = build_template(args.dept, args.year, names=names, econ_extra={"30311"} if args.with_30311 else (),
                                **lists)
    out = save_workbook(wb, args.output, force=args.force)
    n = sum(len(t.rows) - 1 for t in layout.tables.values() if t.spec.kind == "coded")
    print(f"已生成空白表样：{out}（9 张表，功能分类科目行 {n} 行，可填单元格 {len(layout.inputs)} 个）")
    return 0


def _cmd_fill(args) -> int:
    from .api import fill_workbook
    from .builder import save_workbook
    from .datafile import print_warnings

    filled, wb = fill_workbook(args.data)
    print_warnings(filled.warnings)
    out = save_workbook(wb, args.output, force=args.force)
    print(f"已生成填好的工作簿：{out}（{filled.layout.department}，{filled.layout.year} 年度，"
          f"写入金额 {len(filled.values)} 个）")
    return 0


def _cmd_demo(args) -> int:
    from .demo import run_demo

    run_demo(Path(args.output_dir))
    return 0


def _cmd_rules(args) -> int:
    from .docs import rules_text

    print(rules_text(markdown=args.format == "markdown"))
    return 0


def _cmd_recalc(args) -> int:
    from .recalc import recalculate

    src = Path(args.file)
    if not src.is_file():
        raise JuesuanError(f"文件「{src}」不存在。")
    out = recalculate(src, args.output_dir)
    print(f"已重算：{out}")
    return 0


_COMMANDS = {"template": _cmd_template, "fill": _cmd_fill, "demo": _cmd_demo, "rules": _cmd_rules,
             "recalc": _cmd_recalc}
