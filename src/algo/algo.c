/*
 * algo.c - the decision-algorithm table and the environment through
 * which algorithms reach the session layer.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stddef.h>

#include "algo/algo.h"

static const struct algo_env *algo_env_current;
static const struct algo_memory_env *algo_memory_env_current;

void
algo_env_set(const struct algo_env *env)
{

	algo_env_current = env;
}

const struct algo_env *
algo_env_get(void)
{

	return (algo_env_current);
}

void
algo_memory_env_set(const struct algo_memory_env *env)
{

	algo_memory_env_current = env;
}

const struct algo_memory_env *
algo_memory_env_get(void)
{

	return (algo_memory_env_current);
}

const struct algo_ops *
algo_get(uint32_t a)
{

	switch (a) {
	case TLV_DECISION_ALGORITHM_TEST:
		return (&algo_test_ops);
	case TLV_DECISION_ALGORITHM_FFSPLIT:
		return (&algo_ffsplit_ops);
	case TLV_DECISION_ALGORITHM_2NODELMS:
		return (&algo_2nodelms_ops);
	case TLV_DECISION_ALGORITHM_LMS:
		return (&algo_lms_ops);
	default:
		return (NULL);
	}
}
