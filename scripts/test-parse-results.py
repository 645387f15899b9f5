#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests of scripts/parse-results.py: KTAP/TAP samples as a VM would send
them, including crashes, truncated streams and skips. Run by make check's
static gate; prints "N passed, N failed" and exits non-zero on a failure.
"""
import contextlib
import importlib.util
import io
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('pr', os.path.join(HERE, 'parse-results.py'))
pr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pr)

NONCE = 'abc123'


def kunit_suite(name, body):
    return [f'# axas-init: kunit suite {name}', 'KTAP version 1', '1..1',
            '    KTAP version 1', f'    # Subtest: {name}'] + body


PARAM_CASE = [
    '        KTAP version 1',
    '        # Subtest: map_unmap',
    '        ok 1 x86-ept4',
    '        ok 2 arm64-s2',
    '    # map_unmap: pass:2 fail:0 skip:0 total:2',
    '    ok 1 map_unmap',
]
KUNIT_PASS = kunit_suite('axas_as', ['    1..2'] + PARAM_CASE + [
    '    ok 2 plain_case',
    '# axas_as: pass:2 fail:0 skip:0 total:2',
    'ok 1 axas_as',
])
KUNIT_PARAM_FAIL = kunit_suite('axas_as', ['    1..1',
    '        KTAP version 1',
    '        # Subtest: map_unmap',
    '        ok 1 x86-ept4',
    '        not ok 2 arm64-s2',
    '    not ok 1 map_unmap',
    'not ok 1 axas_as',
])
# The kernel died in the second parameter: no closing lines.
KUNIT_CRASH = kunit_suite('axas_as', ['    1..2',
    '        KTAP version 1',
    '        # Subtest: map_unmap',
    '        ok 1 x86-ept4',
])
TAP_HEAD = ['TAP version 13']


def channel(sections, nonce=NONCE, done=True):
    lines = [f'AXAS-INIT-START nonce={nonce}']
    for i, (cmd, out, rc) in enumerate(sections, 1):
        lines.append(f'axas-init: $ {cmd}')
        lines += out
        if rc is not None:
            lines.append(f'axas-init: line {i} ({cmd.split()[0]}) rc={rc}')
    if done:
        lines.append(f'AXAS-INIT-DONE rc=0 nonce={nonce}')
    return '\n'.join(lines) + '\n'


def run(text, *args, skips=None):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, 'out')
        with open(p, 'w') as f:
            f.write(text)
        extra = ['--nonce', NONCE]
        if skips is not None:
            sp = os.path.join(d, 'skips')
            with open(sp, 'w') as f:
                f.write(skips)
            extra += ['--skips', sp]
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            rc = pr.main([p, 'x/debug'] + extra + list(args))
        assert rc == 0, f'parser exit status {rc}'
        return buf.getvalue().splitlines()


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def has(lines, prefix):
    return any(line.startswith(prefix) for line in lines)


@case
def kunit_names_suite_case_param():
    out = run(channel([('kunit-results', KUNIT_PASS, 0)]), '--expect-suite', 'axas_as')
    assert out == ['PASS x/debug/kunit/axas_as/map_unmap/x86-ept4',
                   'PASS x/debug/kunit/axas_as/map_unmap/arm64-s2',
                   'PASS x/debug/kunit/axas_as/plain_case'], out


@case
def kunit_failing_param_is_named():
    out = run(channel([('kunit-results', KUNIT_PARAM_FAIL, 1)]))
    assert 'FAIL x/debug/kunit/axas_as/map_unmap/arm64-s2' in out, out
    assert 'PASS x/debug/kunit/axas_as/map_unmap/x86-ept4' in out, out


@case
def kunit_truncated_stream_fails():
    out = run(channel([('kunit-results', KUNIT_CRASH, None)], done=False))
    assert 'PASS x/debug/kunit/axas_as/map_unmap/x86-ept4' in out, out
    assert has(out, 'FAIL x/debug/kunit/axas_as/map_unmap (no result line'), out
    assert has(out, 'FAIL x/debug/results (the VM never reached'), out


@case
def kunit_suite_plan_short_fails():
    body = kunit_suite('axas_as', ['    1..3', '    ok 1 a', '    ok 2 b', 'ok 1 axas_as'])
    out = run(channel([('kunit-results', body, 0)]))
    assert has(out, 'FAIL x/debug/kunit/axas_as (plan 1..3, saw 2'), out


@case
def missing_suite_and_program_fail():
    out = run(channel([('kunit-results', KUNIT_PASS, 0)]),
              '--expect-suite', 'axas_npt', '--expect-prog', 'uapi_test')
    assert 'FAIL x/debug/kunit/axas_npt (suite did not run)' in out, out
    assert 'FAIL x/debug/uapi_test (did not run)' in out, out


TAP_OK = TAP_HEAD + ['1..3', '# Starting 3 tests', 'ok 1 global.get_info',
                     'ok 2 fmt.x86.map', 'ok 3 fmt.x86.sweep # SKIP no fault injection (fail-nth) in this kernel',
                     '# Totals: pass:2 fail:0 xfail:0 xpass:0 skip:1 error:0']


@case
def tap_skip_allowed_by_list():
    out = run(channel([('/bin/uapi_test', TAP_OK, 0)]),
              skips='*/uapi_test/*.sweep | no fault injection | stock kernels\n')
    assert 'SKIP x/debug/uapi_test/fmt.x86.sweep (no fault injection (fail-nth) in this kernel)' in out, out


@case
def tap_skip_not_on_list_fails():
    out = run(channel([('/bin/uapi_test', TAP_OK, 0)]), skips='')
    assert has(out, 'FAIL x/debug/uapi_test/fmt.x86.sweep (skip not on the allow-list'), out


@case
def tap_not_ok_skip_is_a_skip():
    tap = TAP_HEAD + ['1..1', 'not ok 1 global.dev # SKIP /dev/axas is absent']
    out = run(channel([('/bin/uapi_test', tap, 0)]), skips='*/other/* | x | y\n')
    assert has(out, 'FAIL x/debug/uapi_test/global.dev (skip not on the allow-list: /dev/axas'), out


@case
def tap_stopped_early_fails():
    tap = TAP_HEAD + ['1..5', 'ok 1 a', 'ok 2 b']
    out = run(channel([('/bin/uapi_test', tap, 139)]))
    assert has(out, 'FAIL x/debug/uapi_test (plan 1..5, saw 2'), out
    assert 'PASS x/debug/uapi_test/a' in out, out


@case
def tap_failure_is_named():
    tap = TAP_HEAD + ['1..2', 'ok 1 a', 'not ok 2 fixture.variant.b']
    out = run(channel([('incg /bin/uapi_test', tap, 1)]))
    assert 'FAIL x/debug/uapi_test/fixture.variant.b' in out, out
    assert not has(out, 'FAIL x/debug/uapi_test (exit'), out


@case
def nonzero_exit_without_failing_test_fails():
    out = run(channel([('/bin/uapi_test', TAP_HEAD + ['1..1', 'ok 1 a'], 1)]))
    assert 'FAIL x/debug/uapi_test (exit status 1 with no failing test)' in out, out


@case
def program_without_results_fails():
    out = run(channel([('/bin/uapi_test', ['Segmentation fault'], 139)]))
    assert 'FAIL x/debug/uapi_test (no results)' in out, out


@case
def stale_output_is_refused():
    out = run(channel([('/bin/uapi_test', TAP_OK, 0)], nonce='old'))
    assert len(out) == 1 and out[0].startswith('FAIL x/debug/results (no output of this run'), out


@case
def same_name_twice_is_told_apart():
    tap = TAP_HEAD + ['1..2', 'ok 1 a', 'ok 2 a']
    out = run(channel([('/bin/uapi_test', tap, 0)]))
    assert out == ['PASS x/debug/uapi_test/a', 'PASS x/debug/uapi_test/a [2]'], out


def main():
    passed = failed = 0
    for fn in CASES:
        try:
            fn()
            passed += 1
            print(f'ok {fn.__name__}')
        except Exception as e:  # noqa: BLE001 - report every failure
            failed += 1
            print(f'not ok {fn.__name__}: {e}')
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
