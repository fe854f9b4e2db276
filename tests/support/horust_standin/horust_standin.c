/*
 * horust-standin: a TEST STAND-IN for the Horust supervisor, built by envbuild's test suite.
 *
 * It is NOT Horust. Horust cannot be downloaded on the test machines, so the suite compiles this small
 * program and passes it to envbuild the way a user passes a local Horust binary (ENVBUILD_HORUST=/path).
 * It runs the same service files envbuild writes, with the subset of Horust's semantics those files use:
 *
 *   - reads every *.toml in /etc/horust/services (or each --services-path DIR), expanding $VAR / ${VAR}
 *     from its environment first, as Horust does (an unknown variable makes the file fail to load);
 *   - name, command (shell-word split, PATH lookup), user (name or uid; setuid only, like Horust),
 *     working-directory, start-delay, start-after (a dependency counts once Running or Finished),
 *     stdout / stderr ("STDOUT", "STDERR" or a file opened for append),
 *     [restart] strategy / backoff / attempts, [healthiness] file-path,
 *     [environment] keep-env / re-export / additional, [termination] signal / wait;
 *   - PID 1 duties: reaps every child (orphans too), forwards SIGTERM/SIGINT as a graceful shutdown, and exits
 *     when every service has finished (1 if any finished failed).
 *
 * Simplified on purpose: no resource limits, no http/command health checks, no log rotation, no horustctl.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SERVICES 64
#define MAX_LIST 32
#define MAX_ENV 64

extern char **environ;

enum status { INITIAL, STARTED, RUNNING, SUCCESS_WAIT, FAILED_WAIT, IN_KILLING, FINISHED, FINISHED_FAILED };
static const char *status_names[] = {"Initial", "Started", "Running", "Success", "Failed",
                                     "InKilling", "Finished", "FinishedFailed"};

struct service {
    char *file;
    char *name;
    char *command;
    char *user;
    char *workdir;
    char *out;
    char *err;
    double start_delay;
    char *after[MAX_LIST];
    int n_after;
    char *strategy;
    double backoff;
    long attempts;
    char *health_file;
    int keep_env;
    char *reexport[MAX_LIST];
    int n_reexport;
    char *add_key[MAX_ENV];
    char *add_val[MAX_ENV];
    int n_add;
    int term_signal;
    double term_wait;
    /* runtime */
    enum status st;
    pid_t pid;
    long attempts_made;
    double not_before;
    double kill_deadline;
    double spawned_at;
    int killed_hard;
};

static struct service services[MAX_SERVICES];
static int n_services;
static volatile sig_atomic_t shutdown_requested;
static int shutting_down;

static void logf_(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("horust-standin: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *xstrdup(const char *s) {
    char *d = strdup(s ? s : "");
    if (!d) { perror("strdup"); exit(2); }
    return d;
}

/* ---------- $VAR expansion (Horust expands the whole file before parsing it) ---------- */

static char *expand_env(const char *text, const char *file) {
    size_t cap = strlen(text) * 2 + 64, len = 0;
    char *out = malloc(cap);
    for (const char *p = text; *p;) {
        const char *value = NULL;
        char name[256];
        if (*p == '$' && (p[1] == '{' || isalpha((unsigned char)p[1]) || p[1] == '_')) {
            const char *q = p + 1;
            int braced = (*q == '{');
            if (braced) q++;
            size_t n = 0;
            while ((isalnum((unsigned char)*q) || *q == '_') && n < sizeof(name) - 1) name[n++] = *q++;
            name[n] = 0;
            if (braced && *q != '}') { value = NULL; goto literal; }
            if (braced) q++;
            value = getenv(name);
            if (!value) {
                logf_("%s: variable '%s' is not set (Horust refuses such files too)", file, name);
                free(out);
                return NULL;
            }
            size_t vl = strlen(value);
            while (len + vl + 1 >= cap) out = realloc(out, cap *= 2);
            memcpy(out + len, value, vl);
            len += vl;
            p = q;
            continue;
        }
    literal:
        if (len + 2 >= cap) out = realloc(out, cap *= 2);
        out[len++] = *p++;
    }
    out[len] = 0;
    return out;
}

/* ---------- a small TOML reader: the subset service files use ---------- */

enum vkind { V_NONE, V_STR, V_INT, V_BOOL, V_ARRAY, V_TABLE };
struct value {
    enum vkind kind;
    char *str;
    long num;
    char *items[MAX_ENV];
    char *keys[MAX_ENV];
    int n;
};

static const char *skip_ws(const char *p) {
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
        if (*p == '#') { while (*p && *p != '\n') p++; continue; }
        return p;
    }
}

static const char *parse_string(const char *p, char **out) {
    char buf[8192];
    size_t n = 0;
    if (strncmp(p, "\"\"\"", 3) == 0 || strncmp(p, "'''", 3) == 0) {
        char q = *p;
        p += 3;
        if (*p == '\n') p++;
        while (*p && !(p[0] == q && p[1] == q && p[2] == q) && n < sizeof(buf) - 1) {
            if (q == '"' && *p == '\\' && p[1]) {
                p++;
                char c = *p++;
                buf[n++] = c == 'n' ? '\n' : c == 't' ? '\t' : c;
            } else {
                buf[n++] = *p++;
            }
        }
        if (*p) p += 3;
    } else if (*p == '"') {
        p++;
        while (*p && *p != '"' && n < sizeof(buf) - 1) {
            if (*p == '\\' && p[1]) {
                p++;
                char c = *p++;
                if (c == 'u' || c == 'U') {
                    int digits = c == 'u' ? 4 : 8;
                    unsigned long cp = strtoul((char[]){p[0], p[1], p[2], p[3],
                                                        digits == 8 ? p[4] : 0, digits == 8 ? p[5] : 0,
                                                        digits == 8 ? p[6] : 0, digits == 8 ? p[7] : 0, 0},
                                               NULL, 16);
                    p += digits;
                    if (cp < 0x80) buf[n++] = (char)cp;
                    else if (cp < 0x800) { buf[n++] = 0xC0 | (cp >> 6); buf[n++] = 0x80 | (cp & 0x3F); }
                    else { buf[n++] = 0xE0 | (cp >> 12); buf[n++] = 0x80 | ((cp >> 6) & 0x3F);
                           buf[n++] = 0x80 | (cp & 0x3F); }
                } else {
                    buf[n++] = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == 'b' ? '\b'
                             : c == 'f' ? '\f' : c;
                }
            } else {
                buf[n++] = *p++;
            }
        }
        if (*p == '"') p++;
    } else { /* 'literal' */
        p++;
        while (*p && *p != '\'' && n < sizeof(buf) - 1) buf[n++] = *p++;
        if (*p == '\'') p++;
    }
    buf[n] = 0;
    *out = xstrdup(buf);
    return p;
}

static const char *parse_key(const char *p, char **out) {
    if (*p == '"' || *p == '\'') return parse_string(p, out);
    char buf[256];
    size_t n = 0;
    while ((isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.') && n < sizeof(buf) - 1)
        buf[n++] = *p++;
    buf[n] = 0;
    *out = xstrdup(buf);
    return p;
}

static const char *parse_value(const char *p, struct value *v) {
    memset(v, 0, sizeof(*v));
    if (*p == '"' || *p == '\'') {
        v->kind = V_STR;
        return parse_string(p, &v->str);
    }
    if (*p == '[') {
        v->kind = V_ARRAY;
        p = skip_ws(p + 1);
        while (*p && *p != ']') {
            struct value item;
            p = parse_value(p, &item);
            if (v->n < MAX_ENV) v->items[v->n++] = item.kind == V_STR ? item.str : xstrdup("");
            p = skip_ws(p);
            if (*p == ',') p = skip_ws(p + 1);
        }
        return *p ? p + 1 : p;
    }
    if (*p == '{') {
        v->kind = V_TABLE;
        p = skip_ws(p + 1);
        while (*p && *p != '}') {
            char *key;
            struct value item;
            p = skip_ws(parse_key(p, &key));
            if (*p == '=') p = skip_ws(p + 1);
            p = parse_value(p, &item);
            if (v->n < MAX_ENV) { v->keys[v->n] = key; v->items[v->n++] = item.str ? item.str : xstrdup(""); }
            p = skip_ws(p);
            if (*p == ',') p = skip_ws(p + 1);
        }
        return *p ? p + 1 : p;
    }
    if (strncmp(p, "true", 4) == 0) { v->kind = V_BOOL; v->num = 1; return p + 4; }
    if (strncmp(p, "false", 5) == 0) { v->kind = V_BOOL; v->num = 0; return p + 5; }
    v->kind = V_INT;
    char *end;
    v->num = strtol(p, &end, 10);
    if (end == p) { v->kind = V_NONE; while (*p && *p != '\n') p++; return p; }
    return end;
}

static double parse_duration(const char *s) {
    double total = 0;
    while (s && *s) {
        while (*s == ' ') s++;
        char *end;
        double n = strtod(s, &end);
        if (end == s) break;
        s = end;
        while (*s == ' ') s++;
        if (strncmp(s, "ms", 2) == 0) { total += n / 1000; s += 2; }
        else if (*s == 's') { total += n; s++; }
        else if (*s == 'm') { total += n * 60; s++; }
        else if (*s == 'h') { total += n * 3600; s++; }
        else total += n;
        while (isalpha((unsigned char)*s)) s++;
    }
    return total;
}

static int parse_signal(const char *name) {
    static const struct { const char *n; int s; } table[] = {
        {"TERM", SIGTERM}, {"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
        {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"WINCH", SIGWINCH}};
    if (strncmp(name, "SIG", 3) == 0) name += 3;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i].n, name) == 0) return table[i].s;
    return SIGTERM;
}

static void set_field(struct service *s, const char *section, const char *key, struct value *v) {
#define IS(sec, k) (strcmp(section, sec) == 0 && strcmp(key, k) == 0)
    if (IS("", "name") && v->kind == V_STR) s->name = v->str;
    else if (IS("", "command") && v->kind == V_STR) s->command = v->str;
    else if (IS("", "user")) s->user = v->kind == V_STR ? v->str : ({ char b[32]; snprintf(b, 32, "%ld", v->num); xstrdup(b); });
    else if (IS("", "working-directory")) s->workdir = v->str;
    else if (IS("", "stdout")) s->out = v->str;
    else if (IS("", "stderr")) s->err = v->str;
    else if (IS("", "start-delay")) s->start_delay = parse_duration(v->str);
    else if (IS("", "start-after") && v->kind == V_ARRAY) {
        for (int i = 0; i < v->n && s->n_after < MAX_LIST; i++) s->after[s->n_after++] = v->items[i];
    } else if (IS("restart", "strategy")) s->strategy = v->str;
    else if (IS("restart", "backoff")) s->backoff = parse_duration(v->str);
    else if (IS("restart", "attempts")) s->attempts = v->num;
    else if (IS("healthiness", "file-path")) s->health_file = v->str;
    else if (IS("environment", "keep-env")) s->keep_env = (int)v->num;
    else if (IS("environment", "re-export") && v->kind == V_ARRAY) {
        for (int i = 0; i < v->n && s->n_reexport < MAX_LIST; i++) s->reexport[s->n_reexport++] = v->items[i];
    } else if (IS("environment", "additional") && v->kind == V_TABLE) {
        for (int i = 0; i < v->n && s->n_add < MAX_ENV; i++) {
            s->add_key[s->n_add] = v->keys[i];
            s->add_val[s->n_add++] = v->items[i];
        }
    } else if (strcmp(section, "environment.additional") == 0 && s->n_add < MAX_ENV) {
        s->add_key[s->n_add] = xstrdup(key);
        s->add_val[s->n_add++] = v->str ? v->str : xstrdup("");
    } else if (IS("termination", "signal")) s->term_signal = parse_signal(v->str);
    else if (IS("termination", "wait")) s->term_wait = parse_duration(v->str);
#undef IS
}

static int load_service(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) { logf_("cannot open %s: %s", path, strerror(errno)); return -1; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    char *raw = calloc(1, size + 1);
    if (fread(raw, 1, size, f) != (size_t)size) { fclose(f); free(raw); return -1; }
    fclose(f);
    char *text = expand_env(raw, path);
    free(raw);
    if (!text) return -1;
    if (n_services >= MAX_SERVICES) { logf_("too many services"); return -1; }
    struct service *s = &services[n_services];
    memset(s, 0, sizeof(*s));
    s->file = xstrdup(path);
    s->strategy = xstrdup("never");
    s->attempts = 10;
    s->term_signal = SIGTERM;
    s->term_wait = 5;
    char section[128] = "";
    const char *p = text;
    for (;;) {
        p = skip_ws(p);
        if (!*p) break;
        if (*p == '[') {
            const char *e = strchr(p, ']');
            if (!e) break;
            size_t n = e - p - 1;
            if (n >= sizeof(section)) n = sizeof(section) - 1;
            memcpy(section, p + 1, n);
            section[n] = 0;
            p = e + 1;
            continue;
        }
        char *key;
        struct value v;
        p = skip_ws(parse_key(p, &key));
        if (*p != '=') { logf_("%s: cannot parse near '%.20s'", path, p); free(text); return -1; }
        p = skip_ws(p + 1);
        p = parse_value(p, &v);
        set_field(s, section, key, &v);
    }
    free(text);
    if (!s->command) { logf_("%s: no command", path); return -1; }
    if (!s->name || !*s->name) {
        const char *base = strrchr(path, '/');
        s->name = xstrdup(base ? base + 1 : path);
    }
    n_services++;
    logf_("loaded service %s from %s", s->name, path);
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void load_dir(const char *dir) {
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISREG(st.st_mode)) { load_service(dir); return; }
    DIR *d = opendir(dir);
    if (!d) { logf_("cannot read services path %s: %s", dir, strerror(errno)); return; }
    char *names[MAX_SERVICES * 2];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_SERVICES * 2) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".toml") == 0) names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(char *), cmp_str);
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) load_service(path);
    }
}

/* ---------- users (from /etc/passwd directly: no NSS in a static binary) ---------- */

static int lookup_user(const char *user, uid_t *uid, char **name, char **home) {
    FILE *f = fopen("/etc/passwd", "r");
    char line[1024];
    int numeric = user && *user && strspn(user, "0123456789") == strlen(user);
    uid_t want = numeric ? (uid_t)strtoul(user, NULL, 10) : getuid();
    while (f && fgets(line, sizeof(line), f)) {
        char *fields[7] = {0};
        char *save, *tok = line;
        for (int i = 0; i < 7; i++) {
            fields[i] = strsep(&tok, ":\n");
            if (!fields[i]) break;
        }
        (void)save;
        if (!fields[5]) continue;
        uid_t u = (uid_t)strtoul(fields[2], NULL, 10);
        if ((user && *user && !numeric && strcmp(fields[0], user) == 0) || ((!user || !*user || numeric) && u == want)) {
            *uid = u;
            *name = xstrdup(fields[0]);
            *home = xstrdup(fields[5]);
            fclose(f);
            return 0;
        }
    }
    if (f) fclose(f);
    if (numeric) { *uid = want; *name = xstrdup(user); *home = xstrdup("/"); return 0; }
    return -1;
}

/* ---------- spawning ---------- */

static int split_words(const char *cmd, char **argv, int max) {
    int argc = 0;
    const char *p = cmd;
    char buf[8192];
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n') p++;
        if (!*p) break;
        size_t n = 0;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && n < sizeof(buf) - 1) {
            if (*p == '\'') { p++; while (*p && *p != '\'') buf[n++] = *p++; if (*p) p++; }
            else if (*p == '"') {
                p++;
                while (*p && *p != '"') { if (*p == '\\' && p[1]) p++; buf[n++] = *p++; }
                if (*p) p++;
            } else if (*p == '\\' && p[1]) { p++; buf[n++] = *p++; }
            else buf[n++] = *p++;
        }
        buf[n] = 0;
        if (argc < max - 1) argv[argc++] = xstrdup(buf);
    }
    argv[argc] = NULL;
    return argc;
}

static char *find_program(const char *prog) {
    if (strchr(prog, '/')) return xstrdup(prog);
    const char *path = getenv("PATH");
    if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    char *copy = xstrdup(path), *tok, *save;
    for (tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
        char full[4096];
        struct stat st;
        snprintf(full, sizeof(full), "%s/%s", tok, prog);
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) { free(copy); return xstrdup(full); }
    }
    free(copy);
    return NULL;
}

static void env_set(char **env, int *n, const char *key, const char *val) {
    size_t kl = strlen(key);
    char *entry;
    if (asprintf(&entry, "%s=%s", key, val) < 0) return;
    for (int i = 0; i < *n; i++)
        if (strncmp(env[i], key, kl) == 0 && env[i][kl] == '=') { env[i] = entry; return; }
    if (*n < 1023) env[(*n)++] = entry;
    env[*n] = NULL;
}

static char *read_hostname(void) {
    FILE *f = fopen("/etc/hostname", "r");
    char buf[256] = "";
    if (f) {
        if (fgets(buf, sizeof(buf), f)) buf[strcspn(buf, "\n")] = 0;
        fclose(f);
        return xstrdup(buf);
    }
    return xstrdup(getenv("HOSTNAME") ? getenv("HOSTNAME") : "localhost");
}

static int redirect(const char *target, int fd) {
    if (!target || strcmp(target, "STDOUT") == 0) return fd == 1 ? 0 : dup2(1, fd);
    if (strcmp(target, "STDERR") == 0) return fd == 2 ? 0 : dup2(2, fd);
    int out = open(target, O_CREAT | O_WRONLY | O_APPEND, S_IRWXU);
    if (out < 0) return -1;
    return dup2(out, fd);
}

static void spawn(struct service *s) {
    uid_t uid;
    char *uname, *home;
    if (lookup_user(s->user, &uid, &uname, &home) != 0) {
        logf_("service %s: unknown user '%s'", s->name, s->user ? s->user : "");
        s->st = FINISHED_FAILED;
        return;
    }
    char *argv[256];
    if (split_words(s->command, argv, 256) == 0) { s->st = FINISHED_FAILED; return; }
    char *prog = find_program(argv[0]);
    if (!prog) { logf_("service %s: program %s not found in PATH", s->name, argv[0]); s->st = FINISHED_FAILED; return; }
    static char *env[1024];
    int n = 0;
    if (s->keep_env) for (char **e = environ; *e && n < 1000; e++) env[n++] = *e;
    env[n] = NULL;
    env_set(env, &n, "HOSTNAME", read_hostname());
    env_set(env, &n, "PATH", getenv("PATH") ? getenv("PATH")
            : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games:/usr/local/games");
    env_set(env, &n, "USER", uname);
    env_set(env, &n, "HOME", home);
    if (getenv("TERM")) env_set(env, &n, "TERM", getenv("TERM"));
    for (int i = 0; i < s->n_reexport; i++)
        if (getenv(s->reexport[i])) env_set(env, &n, s->reexport[i], getenv(s->reexport[i]));
    for (int i = 0; i < s->n_add; i++) env_set(env, &n, s->add_key[i], s->add_val[i]);
    if (s->health_file) unlink(s->health_file);
    pid_t pid = fork();
    if (pid < 0) { logf_("fork: %s", strerror(errno)); return; }
    if (pid == 0) {
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        if (redirect(s->out, 1) < 0 || redirect(s->err, 2) < 0) _exit(101);
        const char *cwd = s->workdir && *s->workdir ? s->workdir : NULL;
        if (cwd && chdir(cwd) != 0) { perror("chdir"); _exit(103); }
        setsid();
        if (setuid(uid) != 0) { perror("setuid"); _exit(103); }
        execve(prog, argv, env);
        perror("execve");
        _exit(103);
    }
    s->pid = pid;
    s->spawned_at = now();
    s->st = STARTED;
    logf_("service %s started as pid %d (user %s)", s->name, (int)pid, uname);
}

/* ---------- the supervisor loop ---------- */

static struct service *by_name(const char *name) {
    for (int i = 0; i < n_services; i++) {
        if (strcmp(services[i].name, name) == 0) return &services[i];
        size_t l = strlen(services[i].name);
        if (strncmp(name, services[i].name, l) == 0 && strcmp(name + l, ".toml") == 0) return &services[i];
    }
    return NULL;
}

static int deps_ready(struct service *s) {
    for (int i = 0; i < s->n_after; i++) {
        struct service *d = by_name(s->after[i]);
        if (!d) continue;
        if (d->st != RUNNING && d->st != FINISHED) return 0;
    }
    return 1;
}

static void set_status(struct service *s, enum status st) {
    if (s->st != st) logf_("service %s: %s -> %s", s->name, status_names[s->st], status_names[st]);
    s->st = st;
}

static void on_exit_status(struct service *s, int wstatus) {
    int ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
    logf_("service %s (pid %d) exited: %s %d", s->name, (int)s->pid, WIFEXITED(wstatus) ? "status" : "signal",
          WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WTERMSIG(wstatus));
    s->pid = 0;
    /* Killed on purpose: Finished, unless it had to be SIGKILLed after its termination wait. */
    if (shutting_down || s->st == IN_KILLING) { set_status(s, s->killed_hard ? FINISHED_FAILED : FINISHED); return; }
    /* Attempts count failures that happen before a service has been up a while (Horust resets the count
       once a service is Running; its health check notices that about a second after the start). */
    if (now() - s->spawned_at > 1.0) s->attempts_made = 0;
    int restart = strcmp(s->strategy, "always") == 0 || (!ok && strcmp(s->strategy, "on-failure") == 0);
    if (ok && !restart) { set_status(s, FINISHED); return; }
    if (!ok && (!restart || s->attempts_made >= s->attempts)) { set_status(s, FINISHED_FAILED); return; }
    s->attempts_made++;
    s->not_before = now() + s->backoff * s->attempts_made + s->start_delay;
    set_status(s, INITIAL);
}

static void on_signal(int sig) { (void)sig; shutdown_requested = 1; }

int main(int argc, char **argv) {
    const char *paths[16];
    int n_paths = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
            puts("horust-standin (envbuild test stand-in for Horust; not Horust)");
            return 0;
        }
        if (strcmp(argv[i], "--services-path") == 0 && i + 1 < argc && n_paths < 16) paths[n_paths++] = argv[++i];
        else if (strncmp(argv[i], "--services-path=", 16) == 0 && n_paths < 16) paths[n_paths++] = argv[i] + 16;
    }
    if (n_paths == 0) paths[n_paths++] = "/etc/horust/services";
    setvbuf(stderr, NULL, _IOLBF, 0);
    logf_("envbuild TEST STAND-IN for Horust, pid %d", (int)getpid());
    for (int i = 0; i < n_paths; i++) load_dir(paths[i]);
    double start = now();
    for (int i = 0; i < n_services; i++) services[i].not_before = start + services[i].start_delay;

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    for (;;) {
        if (shutdown_requested && !shutting_down) {
            shutting_down = 1;
            logf_("shutting down");
            for (int i = 0; i < n_services; i++) {
                struct service *s = &services[i];
                if (s->pid > 0) {
                    kill(-s->pid, s->term_signal);
                    kill(s->pid, s->term_signal);
                    s->kill_deadline = now() + s->term_wait;
                    set_status(s, IN_KILLING);
                } else if (s->st != FINISHED_FAILED) {
                    set_status(s, FINISHED);
                }
            }
        }
        int wstatus;
        pid_t pid;
        while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
            for (int i = 0; i < n_services; i++)
                if (services[i].pid == pid) { on_exit_status(&services[i], wstatus); break; }
        }
        double t = now();
        int alive = 0, failed = 0;
        for (int i = 0; i < n_services; i++) {
            struct service *s = &services[i];
            if (s->st == IN_KILLING && s->pid > 0 && t >= s->kill_deadline) {
                kill(-s->pid, SIGKILL);
                kill(s->pid, SIGKILL);
                s->killed_hard = 1;
            }
            if (!shutting_down && s->st == INITIAL && t >= s->not_before && deps_ready(s)) spawn(s);
            if (s->st == STARTED) {
                struct stat st;
                if (!s->health_file || stat(s->health_file, &st) == 0) set_status(s, RUNNING);
            }
            if (s->st != FINISHED && s->st != FINISHED_FAILED) alive++;
            if (s->st == FINISHED_FAILED) failed++;
        }
        if (alive == 0) {
            logf_("all services finished%s", failed ? " (some failed)" : "");
            /* keep reaping orphans a moment so none are left as zombies of a dying PID 1 */
            while (waitpid(-1, &wstatus, WNOHANG) > 0) {}
            return failed ? 1 : 0;
        }
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}
