"""Telegram redelivery workload: 30 private chats x 12 updates, each delivered 1-3 times (a fifth of them
twice at the same instant), neighbours swapped 5 %, over 6 webhook connections; counts the replies per update
that the stand-in API received, per-chat order, and times. Deterministic (seed 5): every run and every system
get the same plan. Usage: load.py WEBHOOK_URL CALLS_JSONL"""
import json, random, re, sys, threading, time, urllib.request, urllib.error
base, calls = sys.argv[1], sys.argv[2]
rnd = random.Random(5)
def send(upd, secret="tg_bar_secret-1-0123456789abcdef0123456789"):
    req = urllib.request.Request(base, data=json.dumps(upd).encode(), method="POST")
    req.add_header("Content-Type", "application/json"); req.add_header("X-Telegram-Bot-Api-Secret-Token", secret)
    try:
        with urllib.request.urlopen(req, timeout=20) as r: return r.status
    except urllib.error.HTTPError as e: return e.code
    except Exception as e: return f"exc {type(e).__name__}"
chats = [7000 + i for i in range(30)]
ups, uid = [], 900000
for k in range(12):
    for c in chats:
        uid += rnd.randint(1, 3)
        ups.append({"update_id": uid, "message": {"message_id": k + 1, "date": int(time.time()),
            "from": {"id": c, "is_bot": False, "first_name": "U"}, "chat": {"id": c, "type": "private"},
            "text": f"tgcanary:{c}:{k}"}})
plan = []
for u in ups: plan += [u] * rnd.randint(1, 3)
for i in range(len(plan) - 1):
    if rnd.random() < 0.05: plan[i], plan[i + 1] = plan[i + 1], plan[i]
double = [rnd.random() < 0.2 for _ in plan]
items = list(zip(plan, double))
bad_status = []
st = send(dict(ups[0], update_id=1), secret="wrong")
wrong_secret_status = st
lanes = [items[i::6] for i in range(6)]
def lane(its):
    for u, dbl in its:
        if dbl:
            out = []
            t = threading.Thread(target=lambda: out.append(send(u))); t.start(); s = send(u); t.join()
            for x in out + [s]:
                if x != 200: bad_status.append(x)
        else:
            s = send(u)
            if s != 200: bad_status.append(s)
n_deliveries = len(plan) + sum(double)
t0 = time.time()
ts = [threading.Thread(target=lane, args=(l,)) for l in lanes]; [t.start() for t in ts]; [t.join() for t in ts]
t_sent = time.time()
want = len(ups); end = time.time() + 90
import os
def count():
    if not os.path.exists(calls): return 0
    return sum(1 for l in open(calls) if "sendMessage" in json.loads(l)["path"])
while time.time() < end:
    if count() >= want: break
    time.sleep(0.2)
time.sleep(3)
sent = [] if not os.path.exists(calls) else [json.loads(l) for l in open(calls) if "sendMessage" in json.loads(l)["path"]]
by, per_update, other = {}, {}, []
for c in sent:
    b = c["body"]
    try: d = json.loads(b)
    except Exception: d = dict(x.split("=", 1) for x in b.split("&")) if "=" in b else {}
    txt = str(d.get("text", ""))
    m = re.search(r"tgcanary:(\d+):(\d+)", txt)
    if not m: other.append(txt[:60]); continue
    if str(d.get("chat_id")) != m.group(1): other.append(f"cross-chat {m.group(1)}->{d.get('chat_id')}")
    key = (int(m.group(1)), int(m.group(2)))
    per_update[key] = per_update.get(key, 0) + 1
    by.setdefault(key[0], []).append((key[1], c.get("t", 0)))
zero = sum(1 for c in chats for k in range(12) if per_update.get((c, k), 0) == 0)
one = sum(1 for c in chats for k in range(12) if per_update.get((c, k), 0) == 1)
many = sum(1 for c in chats for k in range(12) if per_update.get((c, k), 0) > 1)
chats_out_of_order, inversions = 0, 0
for c in chats:
    seq = [k for k, _ in by.get(c, [])]
    first = []
    for k in seq:
        if k not in first: first.append(k)
    inv = sum(1 for i in range(len(first)) for j in range(i + 1, len(first)) if first[i] > first[j])
    inversions += inv
    if inv: chats_out_of_order += 1
last_t = max((c.get("t", 0) for c in sent), default=t0)
done_t = last_t - t0
res = {"updates": len(ups), "deliveries": n_deliveries, "wrong_secret_status": wrong_secret_status,
       "non200": len(bad_status), "non200_sample": [str(x) for x in bad_status[:3]],
       "sendMessage_calls": len(sent), "answered_0": zero, "answered_1": one, "answered_gt1": many,
       "chats_out_of_order": chats_out_of_order, "order_inversions": inversions, "unmatched_or_cross": len(other),
       "send_phase_s": round(t_sent - t0, 2), "last_reply_s": round(done_t, 2),
       "updates_per_s": round(len(ups) / done_t, 1) if done_t > 0 else None,
       "deliveries_per_s_send_phase": round(n_deliveries / (t_sent - t0), 1)}
print(json.dumps(res))
