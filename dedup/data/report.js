/* dedup HTML report: builds the page from the JSON in #dedup-data.
 *
 * Data (see dedup/report_html.py, report_data):
 *   accounts[i]  account name ("" = unknown)
 *   stats[i]     [posts, in_stories, originals, copies, repeats, copied_by, partners, shared_stories]
 *   matrix[]     [a, b, stories, a_from_b, b_from_a]          (account indices)
 *   posts[i]     [id, account, when, epoch_seconds|null, title, text, specifics|null]
 *   stories[]    {p: [post indices, original first], e: [evidence rows]}
 *   evidence row [x, y, score|null, kind|null, shared]
 *                x, y index the story's p (templates: posts); shared = flat [x0, x1, y0, y1, ...]
 *                code-point offsets into each post's text; score null = pair not verified directly.
 * The specifics two posts share, and those only one has, are derived from the posts' lists
 * (as dedup.verify.build_evidence derives them from the same per-post sets).
 *   templates[]  evidence rows over post indices, then what sets the pair apart (or null).
 *   families[]   [posts, [account indices], first day, last day, example post, [template rows]]
 * Everything from the data goes into the page through textContent, never as HTML.
 */
(function () {
  "use strict";
  const PAGE = 20, STATS_PAGE = 50;

  function h(tag, props, children) {
    const e = document.createElement(tag);
    if (props) {
      for (const k of Object.keys(props)) {
        const v = props[k];
        if (v === null || v === undefined || v === false) continue;
        if (k === "text") e.textContent = v;
        else if (k === "cls") e.className = v;
        else if (k === "style") Object.assign(e.style, v);
        else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? "" : String(v));
      }
    }
    if (children) for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  const parseStart = performance.now();
  const D = JSON.parse(document.getElementById("dedup-data").textContent);
  const parseMs = performance.now() - parseStart;
  const ACC = D.accounts, P = D.posts, S = D.stories, T = D.templates, F = D.families || [], STATS = D.stats;
  const accName = (i) => (ACC[i] === "" ? "(no account)" : ACC[i]);
  const st = { page: 0, query: "", accounts: [], sort: "input", open: false, tpage: 0, fpage: 0,
               apage: 0, asort: 2, adesc: true, msize: 30 };

  function readHash() {
    const q = new URLSearchParams(location.hash.slice(1));
    if (q.get("open") === "all") st.open = true;
    if (q.has("page")) st.page = Math.max(0, (parseInt(q.get("page"), 10) || 1) - 1);
    if (q.has("q")) st.query = q.get("q");
    if (q.has("sort")) st.sort = q.get("sort");
    if (q.has("matrix")) st.msize = q.get("matrix") === "all" ? Infinity : (parseInt(q.get("matrix"), 10) || 30);
    for (const name of q.getAll("account")) {
      const i = ACC.indexOf(name);
      if (i >= 0) st.accounts.push(i);
    }
  }

  // ---- formatting -------------------------------------------------------------
  function fmtDelta(sec) {
    if (sec === null || sec === undefined) return "";
    const s = Math.round(sec);
    if (s <= 0) return s === 0 ? "same time" : "-" + fmtDelta(-s).slice(1);
    if (s < 60) return "+" + s + "s";
    if (s < 3600) return "+" + Math.floor(s / 60) + "m";
    if (s < 86400) return "+" + Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
    return "+" + Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
  }
  const pct = (x) => (100 * x).toFixed(1) + "%";

  function pager(total, size, current, onChange, noun) {
    const pages = Math.max(1, Math.ceil(total / size));
    const label = total === 1 ? noun[0] : noun[1];
    return h("div", { cls: "pager" }, [
      h("button", { text: "‹ prev", disabled: current <= 0, onclick: () => onChange(current - 1) }),
      h("span", { cls: "page-of", text: "page " + (current + 1) + " / " + pages + " · " + total.toLocaleString() + " " + label }),
      h("button", { text: "next ›", disabled: current >= pages - 1, onclick: () => onChange(current + 1) }),
    ]);
  }

  // ---- highlighting ---------------------------------------------------------------
  const reEscape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

  /* Mark, per code point, where the given specifics occur in the text. */
  function markSpecifics(text, cps, specifics, flags) {
    if (!specifics || !specifics.length) return;
    const u2c = new Int32Array(text.length + 1);
    let u = 0;
    for (let c = 0; c < cps.length; c++) {
      for (let k = 0; k < cps[c].length; k++) u2c[u + k] = c;
      u += cps[c].length;
    }
    u2c[text.length] = cps.length;
    for (const sp of specifics) {
      if (!sp) continue;
      const numeric = /^[0-9.]+%?$/.test(sp);
      const re = new RegExp(numeric ? "(?<![0-9.])" + reEscape(sp) + "(?![0-9])" : reEscape(sp), "g");
      let m;
      while ((m = re.exec(text)) !== null) {
        for (let c = u2c[m.index]; c < u2c[m.index + m[0].length]; c++) flags[c] = 1;
        if (m[0].length === 0) re.lastIndex++;
      }
    }
  }

  /* The text with shared passages (spans [[start, end, k]], code points) and specifics marked. */
  function highlighted(text, spans, specifics) {
    const cps = Array.from(text);
    const n = cps.length;
    const shared = new Int32Array(n).fill(-1);
    for (const [s, e, k] of spans) {
      for (let i = Math.max(0, s); i < Math.min(e, n); i++) if (shared[i] < 0) shared[i] = k;
    }
    const conflict = new Uint8Array(n);
    markSpecifics(text, cps, specifics, conflict);
    const box = h("div", { cls: "text" });
    let i = 0;
    while (i < n) {
      let j = i + 1;
      while (j < n && shared[j] === shared[i] && conflict[j] === conflict[i]) j++;
      const chunk = cps.slice(i, j).join("");
      if (shared[i] < 0 && !conflict[i]) box.append(chunk);
      else {
        const cls = (shared[i] >= 0 ? "shared" : "") + (conflict[i] ? " conflict" : "");
        box.append(h("mark", { cls: cls.trim(), "data-k": shared[i] >= 0 ? shared[i] : null, text: chunk }));
      }
      i = j;
    }
    if (n === 0) box.append(h("span", { cls: "muted", text: "(empty text)" }));
    return box;
  }

  function chips(label, items, cls) {
    if (items === null) return null;
    return h("div", { cls: "specifics" }, [
      h("span", { cls: "muted", text: label + ": " }),
      ...(items.length ? items.map((x) => h("span", { cls: "chip " + (cls || ""), text: x })) : [h("span", { cls: "muted", text: "none" })]),
    ]);
  }

  /* Side-by-side view of posts pa (left) and pb (right) given an evidence row (x = left unless swapped). */
  function pairView(pa, pb, row, swapped) {
    const view = h("div", { cls: "pair-view" });
    const spansL = [], spansR = [];
    if (row) {
      const f = row[4];
      for (let t = 0; t + 3 < f.length; t += 4) {
        const a = [f[t], f[t + 1], t / 4], b = [f[t + 2], f[t + 3], t / 4];
        spansL.push(swapped ? b : a);
        spansR.push(swapped ? a : b);
      }
    }
    const specL = P[pa][6], specR = P[pb][6];
    let ss = null, onlyL = null, onlyR = null;
    if (specL && specR) {
      const inL = new Set(specL), inR = new Set(specR);
      ss = specL.filter((x) => inR.has(x));
      onlyL = specL.filter((x) => !inR.has(x));
      onlyR = specR.filter((x) => !inL.has(x));
    }
    const conflicting = !!(onlyL && onlyR && onlyL.length && onlyR.length);
    let info;
    if (!row) info = "No evidence stored for this pair (large story): compare each post with the original.";
    else if (row[2] === null) info = "Not compared directly: these two posts are linked through other posts of the story. Shared passages computed for this view.";
    else info = (row[3] === "template" ? "Template pair: same wording, different event" : "Verified pair: " + row[3]) + ", score " + Number(row[2]).toFixed(2);
    view.append(h("div", { cls: "pair-info" }, [
      h("span", { text: info }),
      h("span", { cls: "muted", text: " · " + spansL.length + " shared passage" + (spansL.length === 1 ? "" : "s") }),
    ]));
    view.append(h("div", { cls: "legend" }, [
      h("mark", { cls: "shared", text: "shared passage" }), " ",
      h("mark", { cls: "conflict", text: conflicting ? "conflicting specific" : "specific only in this post" }),
      h("span", { cls: "muted", text: " (hover a passage to see it in the other post)" }),
    ]));
    const side = (p, spans, only) => {
      const post = P[p];
      return h("div", { cls: "side", "data-post": post[0] }, [
        h("div", { cls: "side-head" }, [
          h("b", { text: accName(post[1]) }), " · " + (post[2] || "no time") + " · id ",
          h("code", { text: post[0] }),
          h("div", { text: post[4] || "(no title)" }),
        ]),
        highlighted(post[5], spans, only),
      ]);
    };
    view.append(h("div", { cls: "sides" }, [side(pa, spansL, onlyL), side(pb, spansR, onlyR)]));
    if (ss === null) view.append(h("div", { cls: "specifics muted", text: "Specifics not available for this pair." }));
    view.append(chips("Shared specifics", ss, ""));
    view.append(chips("Only left", onlyL, conflicting ? "conflict" : ""));
    view.append(chips("Only right", onlyR, conflicting ? "conflict" : ""));
    view.addEventListener("mouseover", (ev) => toggleActive(view, ev, true));
    view.addEventListener("mouseout", (ev) => toggleActive(view, ev, false));
    view.addEventListener("click", (ev) => {
      const m = ev.target.closest("mark.shared");
      if (!m) return;
      const other = m.closest(".side").nextElementSibling || m.closest(".side").previousElementSibling;
      const twin = other && other.querySelector('mark.shared[data-k="' + m.dataset.k + '"]');
      if (twin) twin.scrollIntoView({ block: "nearest" });
    });
    return view;
  }

  function toggleActive(view, ev, on) {
    const m = ev.target.closest && ev.target.closest("mark.shared");
    if (!m) return;
    for (const x of view.querySelectorAll('mark.shared[data-k="' + m.dataset.k + '"]')) x.classList.toggle("active", on);
  }

  // ---- stories -------------------------------------------------------------------
  const storyAccounts = S.map((s) => new Set(s.p.map((i) => P[i][1])));
  let haystacks = null;
  function haystack(k) {
    if (!haystacks) haystacks = S.map((s) => s.p.map((i) => [P[i][0], accName(P[i][1]), P[i][4]].join("\n")).join("\n").toLowerCase());
    return haystacks[k];
  }

  function filteredStories() {
    let idx = S.map((_, k) => k);
    if (st.accounts.length) idx = idx.filter((k) => st.accounts.every((a) => storyAccounts[k].has(a)));
    const q = st.query.trim().toLowerCase();
    if (q) idx = idx.filter((k) => haystack(k).includes(q));
    const first = (k) => { const t = P[S[k].p[0]][3]; return t === null ? Infinity : t; };
    if (st.sort === "posts") idx.sort((a, b) => S[b].p.length - S[a].p.length || a - b);
    else if (st.sort === "accounts") idx.sort((a, b) => storyAccounts[b].size - storyAccounts[a].size || a - b);
    else if (st.sort === "time") idx.sort((a, b) => first(a) - first(b) || a - b);
    return idx;
  }

  function evidenceIndex(s) {
    const m = new Map();
    for (const row of s.e) {
      m.set(row[0] + "," + row[1], [row, false]);
      m.set(row[1] + "," + row[0], [row, true]);
    }
    return m;
  }

  function timeline(posts, onPick) {
    const times = posts.map((p) => p[3]).filter((t) => t !== null);
    if (!times.length) return h("div", { cls: "muted", text: "No publication times." });
    const t0 = Math.min(...times), t1 = Math.max(...times), span = t1 - t0;
    const box = h("div", { cls: "timeline" }, [h("div", { cls: "axis" })]);
    box.append(h("span", { cls: "tick", style: { left: "0", transform: "none" }, text: "first " + posts[0][2] }));
    if (span > 0) box.append(h("span", { cls: "tick end", style: { right: "0", left: "auto", transform: "none" }, text: "last " + fmtDelta(span) }));
    posts.forEach((p, i) => {
      if (p[3] === null) return;
      const left = span > 0 ? (100 * (p[3] - t0)) / span : 0;
      box.append(h("span", {
        cls: "dot" + (i === 0 ? " original" : ""), style: { left: left + "%" },
        title: (i + 1) + ". " + accName(p[1]) + " · " + p[2] + (i === 0 ? " (first)" : " " + fmtDelta(p[3] - posts[0][3])),
        onclick: () => onPick(i),
      }));
    });
    return box;
  }

  function compareBody(s, ev, holder, left, right) {
    const posts = s.p;
    const opts = (sel) => posts.map((p, i) => h("option", { value: i, selected: i === sel, text: (i + 1) + ". " + accName(P[p][1]) + " · " + (P[p][2] || "no time") }));
    const L = h("select", { cls: "pick-left" }, opts(left));
    const R = h("select", { cls: "pick-right" }, opts(right));
    const out = h("div");
    const draw = () => {
      const l = +L.value, r = +R.value;
      out.textContent = "";
      if (l === r) { out.append(h("p", { cls: "muted", text: "Pick two different posts." })); return; }
      const hit = ev.get(l + "," + r);
      out.append(pairView(posts[l], posts[r], hit ? hit[0] : null, hit ? hit[1] : false));
    };
    L.addEventListener("change", draw);
    R.addEventListener("change", draw);
    holder.textContent = "";
    holder.append(h("div", { cls: "controls" }, ["Left ", L, " Right ", R]), out);
    draw();
    return (i) => { R.value = String(i); if (+L.value === i) L.value = i === 0 ? "1" : "0"; draw(); };
  }

  function storyCard(k) {
    const s = S[k], posts = s.p.map((i) => P[i]);
    const ev = evidenceIndex(s);
    const card = h("article", { cls: "story", id: "story-" + (k + 1), "data-story": k + 1 });
    const nAcc = storyAccounts[k].size;
    card.append(h("div", { cls: "story-head" }, [
      h("h3", { text: "Story " + (k + 1) + " · " + posts.length + " posts · " + nAcc + " account" + (nAcc === 1 ? "" : "s") }),
      h("span", { cls: "muted", text: posts[0][4] || "(no title)" }),
    ]));
    const details = h("details", { cls: "compare" }, [h("summary", { text: "Compare two posts side by side" })]);
    const holder = h("div", { cls: "compare-holder" });
    details.append(holder);
    let pick = null;
    const open = (i) => {
      if (!pick) pick = compareBody(s, ev, holder, 0, i === undefined ? 1 : i);
      else if (i !== undefined) pick(i);
      details.open = true;
    };
    details.addEventListener("toggle", () => { if (details.open) open(); });
    card.append(timeline(posts, (i) => open(i === 0 ? 1 : i)));
    // Each post's best verified link to an earlier post.
    const best = new Map();
    for (const row of s.e) {
      if (row[2] === null) continue;
      const later = Math.max(row[0], row[1]), earlier = Math.min(row[0], row[1]);
      const cur = best.get(later);
      if (!cur || row[2] > cur[2]) best.set(later, [earlier, row[3], row[2]]);
    }
    const rows = posts.map((p, i) => {
      const link = best.get(i);
      return h("tr", { cls: i === 0 ? "original" : "" }, [
        h("td", { text: String(i + 1) }),
        h("td", { text: p[2] || "-" }),
        h("td", { text: i === 0 ? "" : fmtDelta(p[3] !== null && posts[0][3] !== null ? p[3] - posts[0][3] : null) }),
        h("td", {}, [h("a", { cls: "account-link", text: accName(p[1]), onclick: () => setAccounts([p[1]]) })]),
        h("td", { text: p[4] || "(no title)" }),
        h("td", {}, [i === 0 ? h("span", { cls: "tag original", text: "first" })
          : link ? h("span", { cls: "tag", text: link[1] + " " + Number(link[2]).toFixed(2) + " ← " + (link[0] + 1) }) : null]),
        h("td", {}, [h("button", { text: "compare", onclick: () => open(i === 0 ? 1 : i) })]),
      ]);
    });
    card.append(h("table", { cls: "posts" }, [
      h("thead", {}, [h("tr", {}, ["#", "published", "after first", "account", "title", "match", ""].map((x) => h("th", { text: x })))]),
      h("tbody", {}, rows),
    ]));
    card.append(details);
    if (st.open) open();
    return card;
  }

  function setAccounts(list) {
    st.accounts = [...new Set(list)];
    st.page = 0;
    renderStories();
    document.getElementById("stories-section").scrollIntoView();
  }

  function renderStories() {
    const idx = filteredStories();
    const pages = Math.max(1, Math.ceil(idx.length / PAGE));
    st.page = Math.min(st.page, pages - 1);
    const box = document.getElementById("story-list");
    const filters = document.getElementById("story-filters");
    filters.textContent = "";
    for (const a of st.accounts) {
      filters.append(h("span", { cls: "chip filter" }, [accName(a) + " ",
        h("button", { text: "×", title: "remove filter", onclick: () => setAccounts(st.accounts.filter((x) => x !== a)) })]));
    }
    box.textContent = "";
    box.dataset.total = idx.length;
    const go = (p) => { st.page = p; renderStories(); document.getElementById("stories-section").scrollIntoView(); };
    box.append(pager(idx.length, PAGE, st.page, go, ["story", "stories"]));
    if (!idx.length) box.append(h("p", { cls: "muted", text: "No story matches." }));
    for (const k of idx.slice(st.page * PAGE, (st.page + 1) * PAGE)) box.append(storyCard(k));
    if (idx.length > PAGE) box.append(pager(idx.length, PAGE, st.page, go, ["story", "stories"]));
  }

  // ---- accounts ------------------------------------------------------------------
  const pairOf = new Map();
  for (const [a, b, n, ab, ba] of D.matrix) {
    pairOf.set(a + "," + b, [n, ab, ba]);
    pairOf.set(b + "," + a, [n, ba, ab]);
  }

  function renderMatrix() {
    const wrap = document.getElementById("matrix-wrap");
    wrap.textContent = "";
    const order = ACC.map((_, i) => i).filter((i) => STATS[i][7] > 0)
      .sort((a, b) => STATS[b][7] - STATS[a][7] || STATS[b][0] - STATS[a][0] || a - b);
    const top = order.slice(0, st.msize);
    document.getElementById("matrix-note").textContent = order.length
      ? "Showing " + top.length + " of " + order.length + " accounts that share stories with another account."
      : "No two accounts share a story.";
    if (!top.length) return;
    let max = 1;
    for (const r of top) for (const c of top) if (r !== c) { const x = pairOf.get(r + "," + c); if (x && x[0] > max) max = x[0]; }
    const table = h("table", { cls: "matrix", id: "matrix" });
    table.append(h("thead", {}, [h("tr", {}, [h("th"), ...top.map((c) => h("th", { title: accName(c), text: accName(c) }))])]));
    const body = h("tbody");
    for (const r of top) {
      const tr = h("tr", {}, [h("th", {}, [h("a", { cls: "account-link", text: accName(r), onclick: () => setAccounts([r]) })])]);
      for (const c of top) {
        if (r === c) { tr.append(h("td", { cls: "diag", title: accName(r) + ": " + STATS[r][7] + " shared stories", text: "" })); continue; }
        const x = pairOf.get(r + "," + c) || [0, 0, 0];
        const t = x[0] / max, alpha = x[0] ? 0.12 + 0.88 * Math.sqrt(t) : 0;
        tr.append(h("td", {
          cls: "cell", "data-n": x[0], text: x[0] ? String(x[0]) : "",
          style: { background: x[0] ? "rgba(188,76,0," + alpha.toFixed(3) + ")" : "", color: alpha > 0.6 ? "#fff" : "" },
          title: accName(r) + " × " + accName(c) + ": " + x[0] + " shared stories; " + accName(r) + " copied " + accName(c) + " " + x[1] + "×, " + accName(c) + " copied " + accName(r) + " " + x[2] + "×",
          onclick: x[0] ? () => setAccounts([r, c]) : null,
        }));
      }
      body.append(tr);
    }
    table.append(body);
    wrap.append(table);
  }

  const STAT_COLS = [
    ["account", -1, "the account"],
    ["posts", 0, "posts in the batch"],
    ["copies", 3, "posts that copy an earlier post of another account"],
    ["copy share", 8, "copies / posts"],
    ["originals", 2, "posts that are the first of a story with several posts"],
    ["copied by others", 5, "posts of other accounts whose source is this account"],
    ["repeats", 4, "posts repeating an earlier post of the same account"],
    ["partners", 6, "other accounts sharing a story"],
    ["shared stories", 7, "stories shared with another account"],
  ];

  function statValue(i, col) {
    if (col === -1) return accName(i);
    if (col === 8) return STATS[i][0] ? STATS[i][3] / STATS[i][0] : 0;
    return STATS[i][col];
  }

  function renderStats() {
    const box = document.getElementById("stats-wrap");
    box.textContent = "";
    const col = STAT_COLS[st.asort][1];
    const idx = ACC.map((_, i) => i).sort((a, b) => {
      const x = statValue(a, col), y = statValue(b, col);
      const c = typeof x === "string" ? x.localeCompare(y) : x - y;
      return (st.adesc ? -c : c) || a - b;
    });
    const go = (p) => { st.apage = p; renderStats(); };
    const head = h("tr", {}, STAT_COLS.map(([name, , help], j) => h("th", {
      title: help, text: name + (j === st.asort ? (st.adesc ? " ▾" : " ▴") : ""),
      onclick: () => { st.adesc = st.asort === j ? !st.adesc : j !== 0; st.asort = j; st.apage = 0; renderStats(); },
    })));
    const rows = idx.slice(st.apage * STATS_PAGE, (st.apage + 1) * STATS_PAGE).map((i) => h("tr", { "data-account": ACC[i] }, [
      h("td", {}, [h("a", { cls: "account-link", text: accName(i), onclick: () => setAccounts([i]) })]),
      h("td", { text: STATS[i][0] }),
      h("td", { text: STATS[i][3] }),
      h("td", {}, [h("span", { cls: "bar", style: { width: Math.round(60 * statValue(i, 8)) + "px" } }), pct(statValue(i, 8))]),
      h("td", { text: STATS[i][2] }),
      h("td", { text: STATS[i][5] }),
      h("td", { text: STATS[i][4] }),
      h("td", { text: STATS[i][6] }),
      h("td", { text: STATS[i][7] }),
    ]));
    box.append(h("table", { cls: "stats", id: "stats" }, [h("thead", {}, [head]), h("tbody", {}, rows)]));
    if (idx.length > STATS_PAGE) box.append(pager(idx.length, STATS_PAGE, st.apage, go, ["account", "accounts"]));
  }

  // ---- template pairs -------------------------------------------------------------
  function renderTemplates() {
    const box = document.getElementById("template-list");
    box.textContent = "";
    const go = (p) => { st.tpage = p; renderTemplates(); };
    if (!T.length) { box.append(h("p", { cls: "muted", text: "None." })); return; }
    box.append(pager(T.length, PAGE, st.tpage, go, ["template pair", "template pairs"]));
    for (const row of T.slice(st.tpage * PAGE, (st.tpage + 1) * PAGE)) box.append(templateRow(row));
  }

  // One template pair: the two posts, what sets them apart, a side-by-side view on demand.
  function templateRow(row) {
    const a = P[row[0]], b = P[row[1]];
    const details = h("details", { cls: "compare" }, [h("summary", { text: "Compare side by side" })]);
    let built = false;
    const build = () => { if (!built) { built = true; details.append(pairView(row[0], row[1], row, false)); } };
    details.addEventListener("toggle", () => { if (details.open) build(); });
    if (st.open) { build(); details.open = true; }
    const sa = a[6], sb = b[6];
    const differ = row[5] ? row[5] : sa && sb ? (sa.filter((x) => !sb.includes(x)).slice(0, 4).join("、") || "-") + " / " + (sb.filter((x) => !sa.includes(x)).slice(0, 4).join("、") || "-") : "";
    return h("div", { cls: "template" }, [
      h("div", {}, [h("b", { text: a[4] || a[0] }), h("span", { cls: "muted", text: " (" + accName(a[1]) + ", " + a[0] + ")" }),
        " ~ ", h("b", { text: b[4] || b[0] }), h("span", { cls: "muted", text: " (" + accName(b[1]) + ", " + b[0] + ")" })]),
      h("div", { cls: "muted", text: "score " + Number(row[2]).toFixed(2) + (differ ? " · differ in " + differ : "") }),
      details,
    ]);
  }

  // ---- template families ------------------------------------------------------------
  function renderFamilies() {
    const box = document.getElementById("family-list");
    box.textContent = "";
    const go = (p) => { st.fpage = p; renderFamilies(); };
    if (!F.length) { box.append(h("p", { cls: "muted", text: "None." })); return; }
    box.append(pager(F.length, PAGE, st.fpage, go, ["family", "families"]));
    for (const fam of F.slice(st.fpage * PAGE, (st.fpage + 1) * PAGE)) {
      const ex = P[fam[4]];
      const days = fam[2] ? (fam[2] === fam[3] ? fam[2] : fam[2] + " to " + fam[3]) : "dates unknown";
      const accounts = fam[1].map(accName);
      const shown = accounts.slice(0, 8).join(", ") + (accounts.length > 8 ? ", +" + (accounts.length - 8) + " more" : "");
      const examples = h("details", { cls: "compare" }, [h("summary", { text: "Example pairs (" + fam[5].length + ")" })]);
      let built = false;
      const build = () => { if (!built) { built = true; for (const row of fam[5]) examples.append(templateRow(row)); } };
      examples.addEventListener("toggle", () => { if (examples.open) build(); });
      if (st.open) { build(); examples.open = true; }
      box.append(h("div", { cls: "family" }, [
        h("div", {}, [h("b", { text: ex[4] || ex[0] }), h("span", { cls: "muted", text: " (e.g. " + ex[0] + ")" })]),
        h("div", { cls: "muted", text: fam[0] + " posts · " + fam[1].length + " account" + (fam[1].length === 1 ? "" : "s") + " · " + days }),
        h("div", { cls: "muted", text: shown }),
        examples,
      ]));
    }
  }

  // ---- page ---------------------------------------------------------------------
  function main() {
    readHash();
    const app = document.getElementById("app");
    const search = h("input", { type: "search", id: "story-search", placeholder: "filter: account, title or id", value: st.query });
    let timer = 0;
    search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => { st.query = search.value; st.page = 0; renderStories(); }, 150); });
    const sort = h("select", { id: "story-sort" }, [["input", "in input order"], ["time", "by first publication"], ["posts", "most posts first"], ["accounts", "most accounts first"]]
      .map(([v, t]) => h("option", { value: v, selected: st.sort === v, text: t })));
    sort.addEventListener("change", () => { st.sort = sort.value; st.page = 0; renderStories(); });
    const openAll = h("label", {}, [h("input", { type: "checkbox", checked: st.open, onchange: (e) => { st.open = e.target.checked; renderStories(); } }), " open all side-by-side views"]);
    app.append(h("section", { id: "stories-section" }, [
      h("h2", { text: "Stories with several posts" }),
      h("p", { cls: "muted", text: "Each story lists its posts in publication order (the first is the original). Open the side-by-side view to see the passages two posts share and the specifics (names, places, numbers, dates) only one of them has." }),
      h("div", { cls: "controls" }, [search, sort, openAll, h("span", { id: "story-filters" })]),
      h("div", { id: "story-list" }),
    ]));
    const size = h("select", { id: "matrix-size" }, [15, 30, 60, Infinity].map((n) => h("option", { value: n, selected: st.msize === n, text: n === Infinity ? "all accounts" : "top " + n })));
    size.addEventListener("change", () => { st.msize = +size.value; renderMatrix(); });
    app.append(h("section", { id: "accounts-section" }, [
      h("h2", { text: "Accounts" }),
      h("p", { cls: "muted", text: "How many stories each pair of accounts shares (click a cell to list them; hover for who copied whom), and per account how many posts copy an earlier post of another account." }),
      h("div", { cls: "controls" }, [size, h("span", { id: "matrix-note", cls: "muted" })]),
      h("div", { id: "matrix-wrap" }),
      h("div", { id: "stats-wrap" }),
    ]));
    app.append(h("section", { id: "families-section" }, [
      h("h2", { text: "Template families" }),
      h("p", { cls: "muted", text: "Posts one template was filled in for, each a different event: how many, by which accounts, over which days, with the strongest pairs." }),
      h("div", { id: "family-list" }),
    ]));
    app.append(h("section", { id: "templates-section" }, [
      h("h2", { text: "Template pairs kept apart" }),
      h("p", { cls: "muted", text: "Same wording, different specifics: different events written from one template. Not merged into stories." }),
      h("div", { id: "template-list" }),
    ]));
    renderStories();
    renderMatrix();
    renderStats();
    renderTemplates();
    renderFamilies();
    document.body.dataset.parseMs = String(Math.round(parseMs));
    document.body.dataset.ready = "1";
    document.body.dataset.readyMs = String(Math.round(performance.now()));  // since navigation start
  }

  try {
    main();
  } catch (err) {
    document.body.append(h("pre", { id: "report-error", text: "The report failed to render: " + (err && err.stack ? err.stack : err) }));
    throw err;
  }
})();
