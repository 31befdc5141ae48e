namespace Gateway.Web;

/// <summary>The page's stylesheet and its one script, served from the binary (the box is offline: no CDN, no fonts).</summary>
internal static class Assets
{
    /// <summary>
    /// Phone first (issue #14): one column, tables become stacked cards below 48rem (each cell labelled from its
    /// data-label), tap targets at least 44 px, nothing wider than the screen. No inline styles anywhere: the page's
    /// CSP (style-src 'self') would block them.
    /// </summary>
    public const string Css = """
        :root { --ink:#1d2433; --muted:#505a6b; --line:#c9d0db; --ok:#1f7a3d; --bad:#b3261e; --warn:#7a4f00; --accent:#1f5fa8; --tap:2.75rem; }
        * { box-sizing: border-box; }
        html { -webkit-text-size-adjust:100%; }
        body { margin:0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:#f6f7f9; overflow-wrap:anywhere; }
        header { background:#1d2433; color:#fff; padding:.25rem .75rem; }
        header nav { display:flex; flex-wrap:wrap; align-items:center; gap:0 .25rem; }
        header .brand { font-weight:700; margin-right:.75rem; min-height:var(--tap); display:inline-flex; align-items:center; }
        header a { color:#e4ecf8; text-decoration:none; min-height:var(--tap); min-width:var(--tap); padding:0 .5rem; display:inline-flex; align-items:center; border-radius:4px; }
        header a.active { color:#fff; text-decoration:underline; text-underline-offset:.3em; }
        header a:hover, header a:focus-visible { color:#fff; background:#2f3a52; }
        header form { margin-left:auto; }
        header form button { margin:.25rem 0; }
        main { max-width:64rem; margin:0 auto; padding:.75rem; }
        h1 { font-size:1.4rem; margin:.5rem 0 1rem; } h2 { font-size:1.15rem; margin-top:0; }
        section, .card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:1rem; margin-bottom:1rem; min-width:0; }
        a { color:var(--accent); }
        label { display:block; margin:.75rem 0 .25rem; font-weight:600; }
        input, select { font:inherit; padding:.5rem; width:100%; max-width:28rem; min-height:var(--tap); border:1px solid #8a94a6; border-radius:4px; background:#fff; color:var(--ink); }
        input[type=file] { padding:.4rem 0; border:0; }
        input[aria-invalid=true], select[aria-invalid=true] { border:2px solid var(--bad); }
        label.check { display:flex; align-items:center; gap:.6rem; min-height:var(--tap); font-weight:400; }
        label.check input { width:1.5rem; height:1.5rem; min-height:0; margin:0; flex:none; }
        button, .button { font:inherit; min-height:var(--tap); min-width:var(--tap); padding:.5rem 1rem; border:0; border-radius:4px; background:var(--accent); color:#fff; cursor:pointer; margin-top:.75rem; text-decoration:none; display:inline-flex; align-items:center; justify-content:center; }
        button.secondary, .button.secondary { background:#4a5365; } button.danger { background:var(--bad); }
        .actions { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; }
        .actions form { margin:0; } .actions button, .actions .button { margin-top:0; }
        .ok { color:var(--ok); font-weight:600; } .bad { color:var(--bad); font-weight:600; } .warn { color:var(--warn); font-weight:600; }
        .field-error { color:var(--bad); font-size:.95rem; display:block; margin-top:.2rem; }
        .field-error:empty { display:none; }
        .message { padding:.6rem .8rem; border-radius:4px; margin-bottom:1rem; border:1px solid var(--line); background:#fff; }
        .message.ok { border-color:var(--ok); color:var(--ink); } .message.bad { border:2px solid var(--bad); color:var(--ink); }
        .grid { display:grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 16rem), 1fr)); gap:1rem; }
        .grid > section { margin-bottom:0; }
        .grid + section, .grid + .grid { margin-top:1rem; }
        .muted { color:var(--muted); } code { word-break:break-all; }
        img.thumb { max-width:100%; height:auto; border:1px solid var(--line); background:#000; }
        table { border-collapse:collapse; width:100%; }
        th, td { text-align:left; padding:.45rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
        .changes li { margin:.3rem 0; }
        .pager { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; margin-top:.75rem; }
        .filters { display:flex; flex-wrap:wrap; gap:.5rem; margin-bottom:.75rem; }
        .filters a { min-height:var(--tap); display:inline-flex; align-items:center; padding:0 .75rem; border:1px solid var(--line); border-radius:4px; text-decoration:none; }
        .filters a.active { background:var(--accent); color:#fff; border-color:var(--accent); }
        ol.log { list-style:none; margin:0; padding:0; font-size:.9rem; }
        ol.log li { padding:.35rem 0; border-bottom:1px solid var(--line); display:grid; grid-template-columns:auto auto 1fr; gap:0 .6rem; }
        ol.log .msg { grid-column:1 / -1; font-family:ui-monospace, monospace; white-space:pre-wrap; }
        ol.log .src { color:var(--muted); }
        .sr-only { position:absolute; width:1px; height:1px; padding:0; margin:-1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; border:0; }
        .sub { display:block; color:var(--muted); font-size:.95rem; }
        dl.facts { display:grid; grid-template-columns:minmax(6.5rem, 38%) minmax(0, 1fr); gap:.3rem .9rem; margin:0 0 .5rem; max-width:40rem; }
        dl.facts dt { font-weight:600; color:var(--muted); } dl.facts dd { margin:0; }
        .exam-actions { display:grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 18rem), 1fr)); gap:0 1.5rem; align-items:end; }
        .exam-actions form { margin:0; }
        .search .actions input { flex:1 1 12rem; }
        .search .actions button, .search .actions .button { margin-top:0; }
        .refresh { margin-top:.75rem; }
        table.steps tr.selected > td { background:#e8f0fb; }
        table.steps tr.problem > td { background:#fdf1f0; }
        .problems ul { margin:.25rem 0 0; padding-left:1.2rem; }
        button.select { margin-top:0; min-width:6rem; }
        table.steps th, .nowrap { white-space:nowrap; }
        table.steps td.actions-cell { min-width:7rem; }
        @media (max-width: 48rem) {
          table.cards thead { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; }
          table.cards, table.cards tbody, table.cards tr, table.cards td { display:block; width:100%; }
          table.cards tr { border:1px solid var(--line); border-radius:6px; margin-bottom:.75rem; padding:.25rem .5rem; background:#fff; }
          table.cards td { border:0; padding:.3rem 0; display:grid; grid-template-columns:minmax(6.5rem, 38%) 1fr; gap:.5rem; }
          table.cards td::before { content:attr(data-label); font-weight:600; color:var(--muted); }
          table.cards td.actions-cell { display:block; }
          table.cards td.actions-cell::before { content:none; }
          table.steps tr.selected { border:2px solid var(--accent); }
          table.steps tr.problem { border-color:var(--bad); }
          table.steps tr.selected, table.steps tr.selected > td { background:#e8f0fb; }
          table.steps tr.problem, table.steps tr.problem > td { background:#fdf1f0; }
          button.select { width:100%; margin-top:.25rem; }
        }
        """;

    public const string StatusScript = """
        // Refreshes the status page every 2 s from /api/status (plain text only: textContent, never innerHTML).
        (function () {
          function set(id, text) { var e = document.getElementById(id); if (e) e.textContent = text; }
          function tick() {
            fetch('/api/status', { credentials: 'same-origin' }).then(function (r) {
              if (r.status === 401) { location.href = '/login'; return null; }
              return r.json();
            }).then(function (s) {
              if (!s) return;
              set('device-link', s.deviceLink); set('last-acquired', s.lastAcquired); set('acquired', s.acquired);
              set('failures', s.acquisitionFailures); set('spool-entries', s.spoolEntries); set('mqtt', s.mqtt);
              set('disk', s.diskFree); set('memory', s.memory); set('uptime', s.uptimeSeconds + ' s');
              var body = document.getElementById('destinations');
              if (body) {
                while (body.firstChild) body.removeChild(body.firstChild);
                s.destinations.forEach(function (d) {
                  var tr = document.createElement('tr');
                  var labels = ['Destination', 'Waiting', 'Oldest', 'Dead letters', 'Last success', 'Failures'];
                  [d.name, d.pending, d.oldestSeconds === null ? '–' : d.oldestSeconds + ' s', d.deadLetters, d.lastSuccess, d.failures].forEach(function (v, i) {
                    var td = document.createElement('td'); td.textContent = v; td.setAttribute('data-label', labels[i]); tr.appendChild(td);
                  });
                  body.appendChild(tr);
                });
              }
              // The exam: its image count; when it is another exam now (or it went from selected to in progress),
              // a note to show it again — the page never reloads by itself under a technician's finger.
              set('exam-images', s.examImages);
              var exam = document.getElementById('exam');
              var changed = document.getElementById('exam-changed');
              if (exam && changed && exam.getAttribute('data-version') !== s.examVersion) changed.hidden = false;
              var img = document.getElementById('thumbnail');
              if (img && s.lastEntry && img.getAttribute('data-entry') !== s.lastEntry) {
                img.setAttribute('data-entry', s.lastEntry);
                img.src = '/thumbnail.png?entry=' + encodeURIComponent(s.lastEntry);
                img.hidden = false;
                set('no-image', '');
              }
            }).catch(function () { set('device-link', 'page offline?'); });
          }
          setInterval(tick, 2000); tick();
        })();
        """;

    /// <summary>The page's icon (a tab full of "Gateway" pages is easier to tell apart with one).</summary>
    public const string Icon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1d2433"/><path d="M4 8h8M8 4v8" stroke="#e4ecf8" stroke-width="2"/></svg>
        """;

    /// <summary>The device page's video preview: the snapshot is fetched again every 2 s while the page is visible.</summary>
    public const string VideoScript = """
        (function () {
          var img = document.getElementById('video-preview');
          if (!img) return;
          setInterval(function () {
            if (document.hidden) return;
            img.src = '/device/video.jpg?t=' + Date.now();
          }, 2000);
        })();
        """;

    /// <summary>Says at once when a chosen file is too large for the page (the server says so too, for browsers without script).</summary>
    public const string FormsScript = """
        (function () {
          document.querySelectorAll('input[type=file][data-max-bytes]').forEach(function (input) {
            input.addEventListener('change', function () {
              var max = Number(input.getAttribute('data-max-bytes'));
              var big = Array.prototype.some.call(input.files || [], function (f) { return f.size > max; });
              var text = big ? 'This file is too large: the page takes files of up to ' + Math.round(max / 1048576) + ' MB.' : '';
              input.setCustomValidity(text);
              input.setAttribute('aria-invalid', big ? 'true' : 'false');
              var error = document.getElementById('error-' + input.id);
              if (error) error.textContent = text;
            });
          });
        })();
        """;
}
