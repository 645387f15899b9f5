#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn a test VM's result channel (logs/NAME-ARCH.out) into test results.

The channel holds, for each command the VM's init ran, a line
"axas-init: $ CMD", the command's output, then "axas-init: line N (CMD)
rc=R". KUnit (KTAP) and kselftest (TAP) output are both read: every leaf
result line ("ok N name" / "not ok N name" not followed by deeper results)
is one test. Prints "PASS|FAIL|SKIP <prefix>/<name>" lines.

usage: parse-results.py OUTFILE PREFIX [--expect-suite NAME]... [--expect-prog NAME]...
"""
import re
import sys

RESULT = re.compile(r'^(\s*)(not ok|ok) \d+ (.*?)(?:\s+#\s*(SKIP|skip)\b.*)?$')


def leaves(lines):
    """Yield (status, name) for each leaf result in (K)TAP lines."""
    stack = []          # names of parents, by indent
    prev_indent = None
    for line in lines:
        m = RESULT.match(line)
        if not m:
            continue
        indent = len(m.group(1).expandtabs())
        ok = m.group(2) == 'ok'
        name = m.group(3).strip()
        skip = m.group(4) is not None
        if prev_indent is not None and prev_indent > indent:
            prev_indent = indent    # a parent's summary line
            continue
        prev_indent = indent
        yield ('SKIP' if skip else 'PASS' if ok else 'FAIL'), name


def main():
    path, prefix = sys.argv[1], sys.argv[2]
    expect = [sys.argv[i + 1] for i, a in enumerate(sys.argv)
              if a == '--expect-suite']
    try:
        text = open(path, errors='replace').read().splitlines()
    except OSError as e:
        print(f'FAIL {prefix}/results ({e})')
        return 1
    sections = []
    cur = None
    for line in text:
        if line.startswith('axas-init: $ '):
            cur = [line[len('axas-init: $ '):], []]
            sections.append(cur)
        elif line.startswith('axas-init: line '):
            cur = None
        elif cur is not None:
            cur[1].append(line)
    progs = [sys.argv[i + 1] for i, a in enumerate(sys.argv)
             if a == '--expect-prog']
    failed = 0
    seen_suites = set()
    seen_progs = set()
    for cmd, out in sections:
        if cmd == 'kunit-results':
            chunks, name = {}, None
            for line in out:
                m = re.match(r'^# axas-init: kunit suite (\S+)', line)
                if m:
                    name = m.group(1)
                    seen_suites.add(name)
                    chunks[name] = []
                elif name:
                    chunks[name].append(line)
            for suite, body in chunks.items():
                n = 0
                for status, case in leaves(body):
                    n += 1
                    print(f'{status} {prefix}/kunit/{suite}/{case}')
                    failed += status == 'FAIL'
                if n == 0:
                    print(f'FAIL {prefix}/kunit/{suite} (no results)')
                    failed += 1
        elif cmd.startswith('/bin/') and 'test' in cmd.split()[0]:
            prog = cmd.split()[0][len('/bin/'):]
            seen_progs.add(prog)
            n = 0
            for status, case in leaves(out):
                n += 1
                print(f'{status} {prefix}/{prog}/{case}')
                failed += status == 'FAIL'
            if n == 0:
                print(f'FAIL {prefix}/{prog} (no results)')
                failed += 1
    for suite in expect:
        if suite not in seen_suites:
            print(f'FAIL {prefix}/kunit/{suite} (suite did not run)')
            failed += 1
    for prog in progs:
        if prog not in seen_progs:
            print(f'FAIL {prefix}/{prog} (did not run)')
            failed += 1
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
