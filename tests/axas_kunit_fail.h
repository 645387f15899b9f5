/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection for the KUnit tests: fail the Nth table allocation of
 * the running test, through the engine's static stub, so the production
 * struct carries no test hook.
 */
#ifndef _AXAS_KUNIT_FAIL_H
#define _AXAS_KUNIT_FAIL_H

#include <kunit/static_stub.h>
#include <kunit/test.h>

#include "axas_npt.h"

/* Tests run one at a time: one countdown per file serves them all. */
static int axas_kunit_fail_countdown;

static bool axas_kunit_alloc_should_fail(struct axas_npt *npt)
{
	return axas_kunit_fail_countdown && !--axas_kunit_fail_countdown;
}

/*
 * Make the @n-th table allocation from now on fail, in this test's thread
 * only; 0 stops failing.
 */
static inline void axas_kunit_fail_nth(struct kunit *test, int n)
{
	axas_kunit_fail_countdown = n;
	if (n)
		kunit_activate_static_stub(test, axas_npt_alloc_should_fail,
					   axas_kunit_alloc_should_fail);
	else
		kunit_deactivate_static_stub(test,
					     axas_npt_alloc_should_fail);
}

#endif /* _AXAS_KUNIT_FAIL_H */
