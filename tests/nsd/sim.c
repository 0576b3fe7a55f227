#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "sim.h"

int64_t sim_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int sim_sandbox(const char *addr, const char *name, uint8_t *secret)
{
    struct sim s;
    sim_connect(&s, addr, NULL, NULL);
    Nsd__SandboxCreate sc = NSD__SANDBOX_CREATE__INIT;
    Nsd__Frame req = NSD__FRAME__INIT, *rep;
    sc.name = (char *)name;
    req.body_case = NSD__FRAME__BODY_SANDBOX_CREATE;
    req.sandbox_create = &sc;
    int r = sim_call(&s, &req, NSD__FRAME__BODY_SANDBOX, &rep);
    if (!r) {
        memcpy(secret, rep->sandbox->secret.data, NSD_SECRET_LEN);
        nsdc_free(&s.c, rep);
    }
    sim_close(&s);
    return r;
}

void sim_connect(struct sim *s, const char *addr, const char *sandbox, const uint8_t *secret)
{
    memset(s, 0, sizeof *s);
    if (nsdc_posix_init(&s->px, addr))
        abort();
    nsdc_init(&s->c, &s->px.ops, sandbox ? NSD__ROLE__ROLE_PICO : NSD__ROLE__ROLE_ADMIN, sandbox,
              secret);
    s->c.retry_ms = 15000;
}

void sim_close(struct sim *s)
{
    nsdc_close(&s->c);
}

int sim_call(struct sim *s, Nsd__Frame *req, Nsd__Frame__BodyCase want, Nsd__Frame **out)
{
    Nsd__Frame *rep;
    int r = nsdc_call(&s->c, req, &rep);
    if (r)
        return r;
    if (rep->body_case != want) {
        nsdc_free(&s->c, rep);
        return -EPROTO;
    }
    if (out)
        *out = rep;
    else
        nsdc_free(&s->c, rep);
    return 0;
}

static void copy_range(Nsd__PidRange *dst, const Nsd__PidRange *src)
{
    if (!dst)
        return;
    nsd__pid_range__init(dst);
    if (src) {
        dst->lo = src->lo;
        dst->hi = src->hi;
        dst->owner = src->owner;
    }
}

static int ids_call(struct sim *s, Nsd__Frame *req, Nsd__Ids *ids, Nsd__PidRange *range)
{
    Nsd__Frame *rep;
    int r = sim_call(s, req, NSD__FRAME__BODY_IDS, &rep);
    if (r)
        return r;
    if (ids) {
        nsd__ids__init(ids);
        ids->pid = rep->ids->pid;
        ids->ppid = rep->ids->ppid;
        ids->pgid = rep->ids->pgid;
        ids->sid = rep->ids->sid;
    }
    copy_range(range, rep->ids->range);
    nsdc_free(&s->c, rep);
    return 0;
}

char *sim_arg;

int sim_register(struct sim *s, uint32_t pid, uint32_t ppid, uint32_t want_range, Nsd__Ids *ids,
                 Nsd__PidRange *range)
{
    static char *argv[] = { "/bin/sim", "--picoprocess" };
    char stream[64], *long_argv[] = { "/bin/sim", sim_arg };
    Nsd__Register rg = NSD__REGISTER__INIT;
    Nsd__Frame req = NSD__FRAME__INIT;
    Nsd__Ids got;
    /* SIM_STREAM: a picoprocess claiming a stream address not its own (an
     * attack test: nsd removes stale sockets at registered addresses). */
    const char *claim = getenv("SIM_STREAM");
    snprintf(stream, sizeof stream, "unix:@sim-%d", (int)getpid());
    rg.pid = pid;
    rg.ppid = ppid;
    rg.host = "localhost";
    /* SIM_HOST_PID: a picoprocess lying about its host pid (an attack test). */
    const char *lie = getenv("SIM_HOST_PID");
    rg.host_pid = lie ? atoi(lie) : getpid();
    rg.argv = sim_arg ? long_argv : argv;
    rg.n_argv = 2;
    rg.stream = claim ? (char *)claim : stream;
    rg.want_range = want_range;
    req.body_case = NSD__FRAME__BODY_REGISTER;
    req.register_ = &rg;
    int r = ids_call(s, &req, &got, range);
    if (!r) {
        s->pid = got.pid;
        if (ids)
            *ids = got;
    }
    return r;
}

int sim_lease(struct sim *s, uint32_t caller, uint32_t count, Nsd__PidRange *range)
{
    Nsd__LeaseRange lr = NSD__LEASE_RANGE__INIT;
    Nsd__Frame req = NSD__FRAME__INIT, *rep;
    lr.caller = caller;
    lr.count = count;
    req.body_case = NSD__FRAME__BODY_LEASE_RANGE;
    req.lease_range = &lr;
    int r = sim_call(s, &req, NSD__FRAME__BODY_RANGE, &rep);
    if (!r) {
        copy_range(range, rep->range);
        nsdc_free(&s->c, rep);
    }
    return r;
}

int sim_exit(struct sim *s, uint32_t pid, int status)
{
    Nsd__Exit e = NSD__EXIT__INIT;
    Nsd__Frame req = NSD__FRAME__INIT;
    e.pid = pid;
    e.status = status;
    req.body_case = NSD__FRAME__BODY_EXIT;
    req.exit = &e;
    return sim_call(s, &req, NSD__FRAME__BODY_OK, NULL);
}

int sim_reap(struct sim *s, uint32_t caller, uint32_t pid)
{
    Nsd__Reap rp = NSD__REAP__INIT;
    Nsd__Frame req = NSD__FRAME__INIT;
    rp.caller = caller;
    rp.pid = pid;
    req.body_case = NSD__FRAME__BODY_REAP;
    req.reap = &rp;
    return ids_call(s, &req, NULL, NULL);
}

int sim_setpgid(struct sim *s, uint32_t caller, uint32_t pid, uint32_t pgid, Nsd__Ids *ids)
{
    return sim_setpgid_execed(s, caller, pid, pgid, false, ids);
}

int sim_setpgid_execed(struct sim *s, uint32_t caller, uint32_t pid, uint32_t pgid, bool execed,
                       Nsd__Ids *ids)
{
    Nsd__SetPgid sp = NSD__SET_PGID__INIT;
    Nsd__Frame req = NSD__FRAME__INIT;
    sp.caller = caller;
    sp.pid = pid;
    sp.pgid = pgid;
    sp.execed = execed;
    req.body_case = NSD__FRAME__BODY_SETPGID;
    req.setpgid = &sp;
    return ids_call(s, &req, ids, NULL);
}

int sim_setsid(struct sim *s, uint32_t caller, Nsd__Ids *ids)
{
    Nsd__SetSid ss = NSD__SET_SID__INIT;
    Nsd__Frame req = NSD__FRAME__INIT;
    ss.caller = caller;
    req.body_case = NSD__FRAME__BODY_SETSID;
    req.setsid = &ss;
    return ids_call(s, &req, ids, NULL);
}

int sim_sysv_get(struct sim *s, uint32_t caller, int64_t key, int kind, int flags, uint32_t *id,
                 int *created)
{
    Nsd__SysvGet g = NSD__SYSV_GET__INIT;
    Nsd__Frame req = NSD__FRAME__INIT, *rep;
    g.caller = caller;
    g.key = key;
    g.kind = kind;
    g.flags = flags;
    g.mode = 0600;
    req.body_case = NSD__FRAME__BODY_SYSV_GET;
    req.sysv_get = &g;
    int r = sim_call(s, &req, NSD__FRAME__BODY_SYSV_OBJ, &rep);
    if (!r) {
        if (id)
            *id = rep->sysv_obj->id;
        if (created)
            *created = rep->sysv_obj->created;
        nsdc_free(&s->c, rep);
    }
    return r;
}

int sim_sysv_remove(struct sim *s, uint32_t caller, uint32_t id)
{
    Nsd__SysvRemove rm = NSD__SYSV_REMOVE__INIT;
    Nsd__Frame req = NSD__FRAME__INIT;
    rm.caller = caller;
    rm.id = id;
    req.body_case = NSD__FRAME__BODY_SYSV_REMOVE;
    req.sysv_remove = &rm;
    return sim_call(s, &req, NSD__FRAME__BODY_OK, NULL);
}

int sim_sysv_lookup(struct sim *s, int64_t key, int kind, uint32_t *id)
{
    Nsd__SysvLookup l = NSD__SYSV_LOOKUP__INIT;
    Nsd__Frame req = NSD__FRAME__INIT, *rep;
    l.key = key;
    l.kind = kind;
    req.body_case = NSD__FRAME__BODY_SYSV_LOOKUP;
    req.sysv_lookup = &l;
    int r = sim_call(s, &req, NSD__FRAME__BODY_SYSV_OBJ, &rep);
    if (!r) {
        *id = rep->sysv_obj->id;
        nsdc_free(&s->c, rep);
    }
    return r;
}

static int lookup(struct sim *s, uint32_t pid, bool thread_owner, char *state, size_t n, uint32_t *found)
{
    Nsd__Lookup l = NSD__LOOKUP__INIT;
    Nsd__Frame req = NSD__FRAME__INIT, *rep;
    l.pid = pid;
    l.thread_owner = thread_owner;
    req.body_case = NSD__FRAME__BODY_LOOKUP;
    req.lookup = &l;
    int r = sim_call(s, &req, NSD__FRAME__BODY_PROC, &rep);
    if (!r) {
        if (state)
            snprintf(state, n, "%s", rep->proc->state);
        if (found)
            *found = rep->proc->pid;
        nsdc_free(&s->c, rep);
    }
    return r;
}

int sim_lookup(struct sim *s, uint32_t pid, char *state, size_t n)
{
    return lookup(s, pid, false, state, n, NULL);
}

int sim_lease_owner(struct sim *s, uint32_t tid, uint32_t *pid)
{
    return lookup(s, tid, true, NULL, 0, pid);
}

int sim_members(struct sim *s, uint32_t pgid, uint32_t sid, int all)
{
    Nsd__Members m = NSD__MEMBERS__INIT;
    Nsd__Page pg = NSD__PAGE__INIT;
    Nsd__Frame req = NSD__FRAME__INIT, *rep, *every = NULL;
    m.pgid = pgid;
    m.sid = sid;
    m.all = all;
    m.page = &pg;
    req.body_case = NSD__FRAME__BODY_MEMBERS;
    req.members = &m;
    int r;
    do {
        r = sim_call(s, &req, NSD__FRAME__BODY_PROC_LIST, &rep);
        if (r) {
            nsdc_free(&s->c, every);
            return r;
        }
        r = nsdc_page(&s->c, &every, rep, &pg);
    } while (r > 0);
    if (r < 0)
        return r;
    r = every->proc_list->n_procs;
    nsdc_free(&s->c, every);
    return r;
}
