"""Audit Event rendering and the time-ordered emission engine.

Records are rendered straight to strings (pre-serialised fragments glued
together) because json.dumps over whole events is the bottleneck when writing
a gigabyte.  Every string fragment goes through Go's encoding/json escaping
(`&`, `<`, `>` become \\u0026, \\u003c, \\u003e) exactly like kube-apiserver.
"""

import heapq
import json
import time

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def goesc(s):
    """Go-style escaping of an already JSON-encoded text."""
    if "&" in s:
        s = s.replace("&", "\\u0026")
    if "<" in s:
        s = s.replace("<", "\\u003c")
    if ">" in s:
        s = s.replace(">", "\\u003e")
    return s


def gj(obj):
    """Serialise like Go's encoding/json (compact, HTML-escaped)."""
    return goesc(_dumps(obj))


def gjs(s):
    """A JSON string literal, Go-escaped."""
    return goesc(_dumps(s))


# ---------------------------------------------------------------- time

US = 1_000_000
_ts_cache = {}


def ts(us):
    """Microseconds since the epoch -> 2026-03-14T08:00:00.123456Z."""
    s, frac = divmod(us, US)
    p = _ts_cache.get(s)
    if p is None:
        p = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s))
        _ts_cache[s] = p
    return "%s.%06dZ" % (p, frac)


def ts_sec(us):
    """RFC 3339 with whole seconds, as in object metadata."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(us // US))


def parse_ts(text):
    import calendar
    text = text.rstrip("Z")
    frac = 0
    if "." in text:
        text, f = text.split(".", 1)
        frac = int((f + "000000")[:6])
    t = time.strptime(text, "%Y-%m-%dT%H:%M:%S")
    return calendar.timegm(t) * US + frac


# ---------------------------------------------------------------- ids

def uuid4(rng):
    n = rng.getrandbits(128)
    n = (n & ~(0xF000 << 64)) | (0x4000 << 64)
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)
    h = "%032x" % n
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def hexid(rng, nbytes):
    return "%0*x" % (nbytes * 2, rng.getrandbits(nbytes * 8))


_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def k8s_suffix(rng, n=5):
    return "".join(rng.choice(_SUFFIX_ALPHABET) for _ in range(n))


# ---------------------------------------------------------------- fragments

class Identity:
    """A user as authenticated by the API server (user JSON cached)."""

    __slots__ = ("name", "uid", "groups", "extra", "json", "kind")

    def __init__(self, name, groups=(), uid=None, extra=None, kind="user"):
        self.name = name
        self.uid = uid
        self.groups = list(groups)
        self.extra = extra
        self.kind = kind
        self.refresh()

    def refresh(self):
        u = {"username": self.name}
        if self.uid:
            u["uid"] = self.uid
        if self.groups:
            u["groups"] = self.groups
        if self.extra:
            u["extra"] = {k: self.extra[k] for k in sorted(self.extra)}
        self.json = gj(u)


EMPTY_USER = "{}"

STATUS_OK = {c: '{"metadata":{},"code":%d}' % c for c in (101, 200, 201, 204)}


def status_fail(code, reason, message, details=None):
    d = {"metadata": {}, "status": "Failure", "message": message, "reason": reason}
    if details is not None:
        d["details"] = details
    d["code"] = code
    return gj(d)


STATUS_401 = status_fail(401, "Unauthorized", "Unauthorized")


def forbidden_status(user, verb, resource, group, namespace=None, name=None,
                     subresource=None, path=None):
    if path is not None:
        msg = 'forbidden: User "%s" cannot %s path "%s"' % (user, verb, path)
        return status_fail(403, "Forbidden", msg, {})
    res = resource + ("/" + subresource if subresource else "")
    what = '%s "%s" is forbidden' % (res, name) if name else "%s is forbidden" % res
    scope = ('in the namespace "%s"' % namespace) if namespace else "at the cluster scope"
    msg = '%s: User "%s" cannot %s resource "%s" in API group "%s" %s' % (
        what, user, verb, res, group, scope)
    det = {"kind": resource}
    if name:
        det = {"name": name, "kind": resource}
    return status_fail(403, "Forbidden", msg, det)


def notfound_status(resource, name, group=""):
    g = resource + ("." + group if group else "")
    return status_fail(404, "NotFound", '%s "%s" not found' % (g, name),
                       {"name": name, "kind": resource})


def ann_allow(reason=""):
    return gj({"authorization.k8s.io/decision": "allow",
               "authorization.k8s.io/reason": reason})


ANN_FORBID = gj({"authorization.k8s.io/decision": "forbid",
                 "authorization.k8s.io/reason": ""})


def rbac_reason(binding_kind, binding, role_kind, role, subj_kind, subj, ns=None):
    b = '%s "%s/%s"' % (binding_kind, binding, ns) if ns else '%s "%s"' % (binding_kind, binding)
    return "RBAC: allowed by %s of %s \"%s\" to %s \"%s\"" % (b, role_kind, role, subj_kind, subj)


def objref(resource, namespace=None, name=None, group="", version="v1",
           subresource=None, uid=None, rv=None):
    d = {"resource": resource}
    if namespace:
        d["namespace"] = namespace
    if name:
        d["name"] = name
    if uid:
        d["uid"] = uid
    d["apiGroup"] = group
    d["apiVersion"] = version
    if rv:
        d["resourceVersion"] = rv
    if subresource:
        d["subresource"] = subresource
    return gj(d)


_src_cache = {}


def srcips(ips):
    key = ips if isinstance(ips, str) else tuple(ips)
    s = _src_cache.get(key)
    if s is None:
        s = gj([key] if isinstance(ips, str) else list(ips))
        _src_cache[key] = s
    return s


# ---------------------------------------------------------------- rendering

_HEAD = '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"'


def render(level, aid, stage, uri_js, verb, user_js, imp_js, src_js, ua_js,
           objref_js, status_js, req_js, resp_js, rr_ts, st_ts, ann_js):
    parts = [_HEAD, level, '","auditID":"', aid, '","stage":"', stage,
             '","requestURI":', uri_js, ',"verb":"', verb, '","user":', user_js]
    if imp_js:
        parts += [',"impersonatedUser":', imp_js]
    parts += [',"sourceIPs":', src_js]
    if ua_js:
        parts += [',"userAgent":', ua_js]
    if objref_js:
        parts += [',"objectRef":', objref_js]
    if status_js:
        parts += [',"responseStatus":', status_js]
    if req_js:
        parts += [',"requestObject":', req_js]
    if resp_js:
        parts += [',"responseObject":', resp_js]
    parts += [',"requestReceivedTimestamp":"', rr_ts, '","stageTimestamp":"', st_ts, '"']
    if ann_js:
        parts += [',"annotations":', ann_js]
    parts.append("}")
    return "".join(parts)


_LEVELS_REQ = ("Request", "RequestResponse")


class Engine:
    """Schedules tasks in time order and emits records sorted by stageTimestamp.

    A task is `fn(t_us) -> next_t_us | None`.  Requests are issued at the
    task's time; their records (possibly minutes later for watches) wait in a
    heap and are flushed once no earlier record can appear any more.
    """

    def __init__(self, sink, start_us, end_us, single_stage=False):
        self.sink = sink
        self.start = start_us
        self.end = end_us
        # A policy that logs one record per request (no RequestReceived, no
        # ResponseStarted): the final stage only.
        self.single_stage = single_stage
        self._tasks = []
        self._pending = []
        self._seq = 0
        self.rv = 4_812_337
        self.now = start_us
        self.void = set()

    # -- scheduling
    def at(self, t, fn):
        self._seq += 1
        heapq.heappush(self._tasks, (t, self._seq, fn))

    def run(self):
        tasks = self._tasks
        pending = self._pending
        sink = self.sink
        end = self.end
        pop = heapq.heappop
        while tasks:
            t, _, fn = pop(tasks)
            if t >= end:
                break
            while pending and pending[0][0] <= t:
                r = pop(pending)
                sink.write(r[2], r[0])
            self.now = t
            nxt = fn(t)
            if nxt is not None:
                self._seq += 1
                heapq.heappush(tasks, (nxt, self._seq, fn))
        while pending and pending[0][0] < end:
            r = pop(pending)
            sink.write(r[2], r[0])
        pending.clear()

    def next_rv(self, rng):
        self.rv += rng.randint(1, 40)
        return str(self.rv)

    def _push(self, t, line):
        self._seq += 1
        heapq.heappush(self._pending, (t, self._seq, line))

    # -- requests
    def request(self, rng, t, user, verb, uri, src, ua, objref_js=None,
                code=200, level="Metadata", req=None, resp=None, ann=None,
                status=None, latency=None, imp=None, long=None, omit_rr=False,
                started=None, objref_rr=None):
        """Emit the records of one request; returns its auditID.

        user: Identity or None (failed authentication -> single 401 record).
        uri: raw request URI (unescaped).  req/resp: pre-serialised bodies.
        long: duration in microseconds of a long-running request (watch,
        exec, attach, portforward, proxy): adds ResponseStarted.
        started: code of ResponseStarted (101 for upgrades).
        """
        aid = uuid4(rng)
        if t >= self.end:
            self.void.add(aid)          # after the end of the log: never written
        uri_js = gjs(uri)
        src_js = srcips(src)
        ua_js = gjs(ua) if ua else None
        rr = ts(t)
        if user is None:
            t1 = t + rng.randint(150, 900)
            self._push(t1, render(level, aid, "ResponseStarted", uri_js, verb,
                                  EMPTY_USER, None, src_js, ua_js, objref_js,
                                  STATUS_401, None, None, rr, ts(t1), None))
            return aid
        user_js = user.json
        imp_js = imp.json if imp is not None else None
        if status is None:
            status = STATUS_OK.get(code) or '{"metadata":{},"code":%d}' % code
        if ann is None:
            ann = ann_allow() if code < 400 else ANN_FORBID
        if level not in _LEVELS_REQ:
            req = resp = None
        elif level == "Request":
            resp = None
        if not omit_rr and not self.single_stage:
            t0 = t + rng.randint(0, 40)
            self._push(t0, render(level, aid, "RequestReceived", uri_js, verb,
                                  user_js, imp_js, src_js, ua_js, objref_rr or objref_js,
                                  None, None, None, rr, ts(t0), None))
        if long is not None and code < 400:
            t1 = t + rng.randint(600, 4000)
            sc = started or code
            sst = STATUS_OK.get(sc) or '{"metadata":{},"code":%d}' % sc
            if not self.single_stage:
                self._push(t1, render(level, aid, "ResponseStarted", uri_js, verb,
                                      user_js, imp_js, src_js, ua_js, objref_js,
                                      sst, None, None, rr, ts(t1), ann))
            t2 = t1 + long
            if started and code == 200:
                status = sst
        else:
            if latency is None:
                latency = rng.randint(900, 9000) if code < 400 else rng.randint(300, 1500)
            t2 = t + latency
        self._push(t2, render(level, aid, "ResponseComplete", uri_js, verb,
                              user_js, imp_js, src_js, ua_js, objref_js,
                              status, req, resp, rr, ts(t2), ann))
        return aid
