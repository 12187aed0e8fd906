/* SPDX-License-Identifier: MIT */
/*
 * crit_lite.h - the few Criterion macros the threaded tests use, and a main()
 *
 * Criterion cannot start under ThreadSanitizer: its sandbox (BoxFort) maps
 * an "inheritable arena" at a random address between 0x2000_0000_0000 and
 * 0x7f00_0000_0000, where TSan keeps its shadow and meta memory, and gives
 * up with "Could not initialize inheritable arena: Resource temporarily
 * unavailable" (Criterion issue #274). The TSan build therefore compiles
 * the threaded tests with -DBROTH_TEST_NO_CRITERION and this header, which
 * provides Test() with .init, .fini and .timeout, cr_assert() with an
 * optional printf-style message, and a main() that runs each test in a
 * child process of its own, as Criterion does (the EAL starts once per
 * process):
 *
 *   test_handoff            run every test, one child each
 *   test_handoff NAME       run the test suite/NAME in this process
 *
 * Include it from exactly one file: it defines main().
 */
#ifndef BROTH_TEST_CRIT_LITE_H
#define BROTH_TEST_CRIT_LITE_H

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CRL_MAX_TESTS	32

struct crl_test {
	const char *suite, *name;
	void (*fn)(void);
	void (*init)(void);
	void (*fini)(void);
	double timeout;		/* seconds, 0: none */
};

static struct crl_test *crl_tests[CRL_MAX_TESTS];
static unsigned crl_n_tests;

static inline void crl_register(struct crl_test *t)
{
	if (crl_n_tests == CRL_MAX_TESTS) {
		fprintf(stderr, "crit_lite: more than %d tests\n", CRL_MAX_TESTS);
		abort();
	}
	crl_tests[crl_n_tests++] = t;
}

#define Test(s, n, ...)							\
	static void crl_fn_##s##_##n(void);				\
	static struct crl_test crl_t_##s##_##n = {			\
		.suite = #s, .name = #n, .fn = crl_fn_##s##_##n,	\
		__VA_ARGS__ };						\
	__attribute__((constructor)) static void crl_reg_##s##_##n(void) \
	{								\
		crl_register(&crl_t_##s##_##n);				\
	}								\
	static void crl_fn_##s##_##n(void)

/* no format attribute: an assertion without message passes "" */
__attribute__((noreturn))
static void crl_fail(const char *file, int line, const char *expr,
		     const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: assertion failed: %s", file, line, expr);
	if (fmt[0]) {
		fputs(": ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	fflush(NULL);
	_exit(1);	/* other threads may still run: no exit handlers */
}

/* cr_assert(cond) or cr_assert(cond, "format", args...) */
#define cr_assert(cond, ...)						\
	((cond) ? (void)0 :						\
	 crl_fail(__FILE__, __LINE__, #cond, "" __VA_ARGS__))

static int crl_run_here(const struct crl_test *t)
{
	if (t->timeout > 0)
		alarm((unsigned)t->timeout + 1);
	if (t->init)
		t->init();
	t->fn();
	if (t->fini)
		t->fini();
	return 0;
}

static int crl_run_child(const struct crl_test *t)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0)
		exit(crl_run_here(t));
	if (waitpid(pid, &st, 0) != pid) {
		perror("waitpid");
		return 1;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		printf("[PASS] %s::%s\n", t->suite, t->name);
		return 0;
	}
	if (WIFSIGNALED(st))
		printf("[FAIL] %s::%s: killed by signal %d%s\n", t->suite,
		       t->name, WTERMSIG(st),
		       WTERMSIG(st) == SIGALRM ? " (timeout)" : "");
	else
		printf("[FAIL] %s::%s: exit %d\n", t->suite, t->name,
		       WEXITSTATUS(st));
	return 1;
}

int main(int argc, char **argv)
{
	unsigned failed = 0;

	if (argc > 1) {
		for (unsigned i = 0; i < crl_n_tests; i++)
			if (!strcmp(argv[1], crl_tests[i]->name))
				return crl_run_here(crl_tests[i]);
		fprintf(stderr, "%s: no test %s\n", argv[0], argv[1]);
		return 2;
	}
	for (unsigned i = 0; i < crl_n_tests; i++)
		failed += (unsigned)crl_run_child(crl_tests[i]);
	printf("[====] Synthesis: Tested: %u | Passing: %u | Failing: %u\n",
	       crl_n_tests, crl_n_tests - failed, failed);
	return failed ? 1 : 0;
}

#endif
