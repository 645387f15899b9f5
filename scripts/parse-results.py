#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn a test VM's result channel (logs/NAME-ARCH.out) into test results.

The channel holds "AXAS-INIT-START nonce=X", then for each command the
VM's init ran a line "axas-init: $ CMD", the command's output and
"axas-init: line N (CMD) rc=R", and last "AXAS-INIT-DONE rc=R nonce=X".
KUnit (KTAP) and kselftest (TAP) output are read as trees: every leaf
result is one test, named by its whole path (suite/case/parameter for
KUnit, program/fixture.variant.test for kselftest). Prints one line per
test, "PASS|FAIL|SKIP <prefix>/<path> [(detail)]", and exits 0 once the
file is read; results that cannot be trusted are FAIL lines:

- a plan ("1..N") that does not match the results seen at its level, or
  a (sub)test with no result line (the stream stopped: crash, hang);
- a program that exited non-zero without a failing test, or never ran;
- an expected KUnit suite that did not run;
- output without this run's nonce (a stale file) or without its end;
- a skip that the allow-list (--skips FILE) does not name.

usage: parse-results.py OUTFILE PREFIX [--nonce X] [--skips FILE]
		[--expect-suite NAME]... [--expect-prog NAME]...
"""
import argparse
import fnmatch
import re
import sys

RESULT = re.compile(r'^(\s*)(not ok|ok)\s+(\d+)\s*(?:-\s*)?(.*?)\s*$')
DIRECTIVE = re.compile(r'^(.*?)\s+#\s*(SKIP|skip|TODO|todo|XFAIL|xfail)\b\s*(.*)$')
PLAN = re.compile(r'^(\s*)1\.\.(\d+)\b')
SUBTEST = re.compile(r'^(\s*)#\s*Subtest:\s*(\S+)')


class Node:
    def __init__(self, name, status, reason=''):
        self.name, self.status, self.reason = name, status, reason
        self.children = []


def parse_tree(lines):
    """Parse (K)TAP lines into result nodes and problems.

    Returns (top-level nodes, [(path, problem)]). Indentation nests: the
    results at a deeper indent before a result line are its children; a
    plan or "# Subtest:" line at an indent belongs to the (sub)test whose
    children sit at that indent.
    """
    pending = {}        # indent -> [Node] not yet attached to a parent
    plans = {}          # indent -> planned count
    names = {}          # indent -> name from "# Subtest:"
    problems = []

    def close_deeper(d, parent_name):
        kids = []
        for ind in sorted(k for k in list(pending) + list(plans) if k > d):
            got = pending.pop(ind, [])
            plan = plans.pop(ind, None)
            names.pop(ind, None)
            if plan is not None and plan != len(got):
                problems.append((parent_name, f'plan 1..{plan}, saw {len(got)} results'))
            if not kids:
                kids = got
            elif got:       # results at two deeper indents: keep both
                kids.extend(got)
        return kids

    for line in lines:
        line = line.rstrip('\r\n').expandtabs()
        m = SUBTEST.match(line)
        if m:
            names[len(m.group(1))] = m.group(2)
            continue
        m = PLAN.match(line)
        if m:
            plans[len(m.group(1))] = int(m.group(2))
            continue
        m = RESULT.match(line)
        if not m:
            continue
        d = len(m.group(1))
        text, status, reason = m.group(4), 'PASS' if m.group(2) == 'ok' else 'FAIL', ''
        dm = DIRECTIVE.match(text)
        if dm:
            text, directive, reason = dm.group(1), dm.group(2).upper(), dm.group(3)
            if directive == 'SKIP':
                status = 'SKIP'
            elif directive in ('TODO', 'XFAIL'):
                status = 'PASS'
        elif text.endswith('# SKIP') or text == '#SKIP':
            text, status = text.rsplit('#', 1)[0].strip(), 'SKIP'
        node = Node(text.strip() or f'#{m.group(3)}', status, reason)
        node.children = close_deeper(d, node.name)
        pending.setdefault(d, []).append(node)

    indents = set(pending) | set(plans) | set(names)
    top_indent = min(indents) if indents else 0
    # Whatever is still open at the end never got its result line: each
    # open level becomes a failed (sub)test holding what it had, inside
    # the next level out.
    open_levels = sorted(indents - {top_indent}, reverse=True)
    for i, ind in enumerate(open_levels):
        name = names.get(ind, '?')
        kids = pending.pop(ind, [])
        plan = plans.pop(ind, None)
        holder = Node(name, 'FAIL', 'no result line: the output stopped here')
        holder.children = kids
        if plan is not None and plan != len(kids):
            problems.append((name, f'plan 1..{plan}, saw {len(kids)} results'))
        outer = open_levels[i + 1] if i + 1 < len(open_levels) else top_indent
        pending.setdefault(outer, []).append(holder)
    top = pending.get(top_indent, [])
    plan = plans.get(top_indent)
    if plan is not None and plan != len(top):
        problems.append(('', f'plan 1..{plan}, saw {len(top)} results'))
    return top, problems


def leaves(nodes, path=()):
    """Yield (status, path, reason) for each test; a failing parent with
    no failing child is a failure of its own."""
    for n in nodes:
        p = path + (n.name,)
        if not n.children:
            yield n.status, p, n.reason
            continue
        yield from leaves(n.children, p)
        if n.status == 'FAIL' and not any(s == 'FAIL' for s, _, _ in leaves(n.children)):
            yield 'FAIL', p, n.reason or 'failed with no failing case'


def load_skips(path):
    rules = []
    if not path:
        return rules
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            parts = [x.strip() for x in line.split('|')]
            if len(parts) < 3:
                raise ValueError(f'{path}: bad line: {line}')
            rules.append((parts[0], parts[1]))
    return rules


def allowed(rules, name, reason):
    return any(fnmatch.fnmatchcase(name, g) and r in reason for g, r in rules)


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument('outfile')
    ap.add_argument('prefix')
    ap.add_argument('--nonce')
    ap.add_argument('--skips')
    ap.add_argument('--expect-suite', action='append', default=[])
    ap.add_argument('--expect-prog', action='append', default=[])
    a = ap.parse_args(argv)
    prefix = a.prefix
    rules = load_skips(a.skips)
    out = []

    def emit(status, name, detail=''):
        full = f'{prefix}/{name}'
        if status == 'SKIP' and not allowed(rules, full, detail):
            status, detail = 'FAIL', f'skip not on the allow-list: {detail or "no reason"}'
        out.append(f'{status} {full}' + (f' ({detail})' if detail else ''))

    try:
        text = open(a.outfile, errors='replace').read().splitlines()
    except OSError as e:
        print(f'FAIL {prefix}/results ({e})')
        return 0
    if a.nonce and f'AXAS-INIT-START nonce={a.nonce}' not in text:
        print(f'FAIL {prefix}/results (no output of this run in {a.outfile}: stale or empty)')
        return 0
    if not any(l.startswith('AXAS-INIT-DONE') for l in text):
        emit('FAIL', 'results', 'the VM never reached the end of its script')

    sections = []
    cur = None
    for line in text:
        if line.startswith('axas-init: $ '):
            cur = {'cmd': line[len('axas-init: $ '):], 'out': [], 'rc': None}
            sections.append(cur)
        elif cur is not None and line.startswith('axas-init: line '):
            m = re.search(r'rc=(\d+)\s*$', line)
            cur['rc'] = int(m.group(1)) if m else None
            cur = None
        elif cur is not None:
            cur['out'].append(line)

    seen_suites, seen_progs = set(), set()
    for sec in sections:
        words = sec['cmd'].lstrip('-').split()
        if words and words[0] == 'incg':
            words = words[1:]
        if not words:
            continue
        if words[0] == 'kunit-results':
            chunks, name = {}, None
            for line in sec['out']:
                m = re.match(r'^# axas-init: kunit suite (\S+)', line)
                if m:
                    name = m.group(1)
                    chunks[name] = []
                elif name:
                    chunks[name].append(line)
            for suite, body in chunks.items():
                if not suite.startswith('axas'):
                    continue
                seen_suites.add(suite)
                report(emit, f'kunit/{suite}', body, strip_top=suite)
        elif words[0].startswith('/bin/') and words[0].endswith('test'):
            prog = words[0][len('/bin/'):]
            seen_progs.add(prog)
            nfail = report(emit, prog, sec['out'])
            if sec['rc'] is None:
                emit('FAIL', prog, 'did not finish')
            elif sec['rc'] != 0 and nfail == 0:
                emit('FAIL', prog, f'exit status {sec["rc"]} with no failing test')
    for suite in a.expect_suite:
        if suite not in seen_suites:
            emit('FAIL', f'kunit/{suite}', 'suite did not run')
    for prog in a.expect_prog:
        if prog not in seen_progs:
            emit('FAIL', prog, 'did not run')
    seen = {}
    for line in out:
        key = line.split(' (')[0]
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            line = line.replace(key, f'{key} [{seen[key]}]', 1)
        print(line)
    return 0


def report(emit, base, lines, strip_top=None):
    """Emit the tests of one (K)TAP stream under BASE; count failures."""
    nodes, problems = parse_tree(lines)
    # KUnit's debugfs file wraps the suite in a one-test plan.
    if strip_top and len(nodes) == 1 and nodes[0].name == strip_top and nodes[0].children:
        top = nodes[0]
        nodes = top.children
        if top.status == 'FAIL' and not any(s == 'FAIL' for s, _, _ in leaves(nodes)):
            nodes = nodes + [Node('(suite)', 'FAIL', top.reason or 'suite failed')]
    nfail = 0
    n = 0
    for status, path, reason in leaves(nodes):
        n += 1
        nfail += status == 'FAIL'
        emit(status, base + '/' + '/'.join(path), reason)
    for where, what in problems:
        nfail += 1
        emit('FAIL', base + (f'/{where}' if where and where != strip_top else ''), what)
    if n == 0:
        nfail += 1
        emit('FAIL', base, 'no results')
    return nfail


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
