"""Made-up posts and helpers shared by the input tests."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from dedup.cli import main
from dedup.io import ArticleReader

# Made-up posts about different events, each well over the default min_length.
S = [
    "6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，志愿者向居民讲解分类知识，发放宣传资料200余份。",
    "6月15日，山水湾社区举办消防安全演练，邀请消防员讲解灭火器使用方法，120余名居民参加疏散演练。",
    "7月3日，望城区图书馆推出暑期少儿阅读计划，设置绘本角和科普讲座，预计服务青少年读者3000人次。",
    "8月20日，浏阳市农业农村局组织专家深入田间，指导农户防治水稻病虫害，现场发放农药补贴券500张。",
]
TRADITIONAL_S0 = (
    "6月12日上午，荷葉塘社區在文化廣場開展垃圾分類宣傳活動，志願者向居民講解分類知識，發放宣傳資料200餘份。"
)


def jline(**fields: Any) -> str:
    return json.dumps(fields, ensure_ascii=False)


def write_lines(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def run(*argv: str | Path, stdin: bytes = b"") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdin=io.BytesIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def check_json(*argv: str | Path) -> tuple[int, dict[str, Any], str]:
    code, out, err = run("check", *argv, "--format", "json", "--workers", "1")
    assert code in (0, 1), err
    return code, json.loads(out), err


def groups(doc: dict[str, Any]) -> list[list[str]]:
    return sorted(sorted(s["ids"]) for s in doc["stories"])


def assert_one_line_error(code: int, err: str, *parts: str) -> None:
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("dedup: error: "), err
    for part in parts:
        assert part in err, (part, err)


def skipped_of(reader: ArticleReader) -> list[tuple[int | None, str | None, str | None]]:
    return [(s.lineno, s.field, s.id) for s in reader.skipped]
