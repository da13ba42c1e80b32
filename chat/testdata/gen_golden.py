"""Writes golden.jsonl: every template in templates/ rendered with every
conversation in conversations.jsonl by Python jinja2, set up the way
Hugging Face transformers compiles chat templates. Run from this folder:

    python3 gen_golden.py

The Go tests compare the chat package against this file byte for byte.
"""
import datetime
import glob
import json
import os

from jinja2.exceptions import TemplateError
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

NOW = datetime.datetime(2025, 1, 15, 9, 5, 7)


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return NOW.strftime(fmt)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now

convs = [json.loads(l) for l in open("conversations.jsonl", encoding="utf-8") if l.strip()]
with open("golden.jsonl", "w", encoding="utf-8") as out:
    for path in sorted(glob.glob("templates/*.jinja")):
        name = os.path.basename(path)[: -len(".jinja")]
        tpl = env.from_string(open(path, encoding="utf-8").read())
        for c in convs:
            row = {"template": name, "conversation": c["name"]}
            try:
                row["rendered"] = tpl.render(messages=c["messages"], tools=c["tools"], documents=None,
                                             add_generation_prompt=c["add_generation_prompt"],
                                             bos_token="<s>", eos_token="</s>")
            except Exception as e:  # the template's own raise_exception, or a real failure
                row["error"] = "%s: %s" % (type(e).__name__, e)
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
