namespace Gateway.Web;

/// <summary>The page's stylesheet and its one script, served from the binary (the box is offline: no CDN, no fonts).</summary>
internal static class Assets
{
    public const string Css = """
        :root { --ink:#1d2433; --muted:#5b6475; --line:#d8dde6; --ok:#1f7a3d; --bad:#b3261e; --warn:#8a5a00; --accent:#1f5fa8; }
        * { box-sizing: border-box; }
        body { margin:0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:#f6f7f9; }
        header { background:#1d2433; color:#fff; padding:.6rem 1rem; display:flex; flex-wrap:wrap; gap:.8rem; align-items:center; }
        header strong { margin-right:1rem; }
        header a { color:#dbe6f6; text-decoration:none; }
        header a.active, header a:hover { color:#fff; text-decoration:underline; }
        header form { margin-left:auto; }
        main { max-width:60rem; margin:0 auto; padding:1rem; }
        h1 { font-size:1.4rem; }
        section, .card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:1rem; margin-bottom:1rem; }
        table { border-collapse:collapse; width:100%; }
        th, td { text-align:left; padding:.35rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
        label { display:block; margin:.5rem 0 .2rem; font-weight:600; }
        input, select { font:inherit; padding:.45rem; width:100%; max-width:28rem; border:1px solid var(--line); border-radius:4px; }
        input[type=checkbox] { width:auto; }
        button { font:inherit; padding:.45rem .9rem; border:0; border-radius:4px; background:var(--accent); color:#fff; cursor:pointer; margin-top:.6rem; }
        button.secondary { background:#5b6475; } button.danger { background:var(--bad); }
        .ok { color:var(--ok); font-weight:600; } .bad { color:var(--bad); font-weight:600; } .warn { color:var(--warn); }
        .field-error { color:var(--bad); font-size:.9rem; display:block; }
        .message { padding:.6rem .8rem; border-radius:4px; margin-bottom:1rem; border:1px solid var(--line); background:#fff; }
        .message.ok { border-color:var(--ok); } .message.bad { border-color:var(--bad); }
        .grid { display:grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap:1rem; }
        .muted { color:var(--muted); } code { word-break:break-all; }
        img.thumb { max-width:100%; border:1px solid var(--line); background:#000; }
        pre { white-space:pre-wrap; font-size:.85rem; }
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
                  [d.name, d.pending, d.oldestSeconds === null ? '–' : d.oldestSeconds + ' s', d.deadLetters, d.lastSuccess, d.failures].forEach(function (v) {
                    var td = document.createElement('td'); td.textContent = v; tr.appendChild(td);
                  });
                  body.appendChild(tr);
                });
              }
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
}
