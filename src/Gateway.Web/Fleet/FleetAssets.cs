namespace Gateway.Web.Fleet;

/// <summary>The fleet page's few rules on top of the box page's stylesheet (<see cref="Assets.Css"/>), served with it.</summary>
internal static class FleetAssets
{
    /// <summary>The page's own refresh: reloads the marked URL after the given seconds unless the user paused it.</summary>
    public const string RefreshScript = """
        (function () {
          var box = document.getElementById('refresh');
          if (!box) return;
          var seconds = parseInt(box.getAttribute('data-seconds'), 10) || 5;
          var url = box.getAttribute('data-url');
          var pause = document.getElementById('refresh-pause');
          var timer = setTimeout(function () { location.replace(url); }, seconds * 1000);
          pause.hidden = false;
          pause.addEventListener('click', function () {
            if (timer === null) { location.replace(url); return; }
            clearTimeout(timer); timer = null;
            pause.textContent = 'Resume updates';
          });
        })();
        """;

    public const string Css = """

        main.fleet { max-width:96rem; }
        table.fleet td, table.fleet th { font-size:.95rem; }
        table.fleet th a { display:inline-flex; align-items:center; min-height:var(--tap); text-decoration:none; }
        table.fleet th[aria-sort] a { text-decoration:underline; }
        table.fleet a.box { display:inline-flex; align-items:center; min-height:var(--tap); min-width:var(--tap); font-weight:600; }
        tr.alarmed > td { background:#fdf1f0; }
        ul.plain { list-style:none; margin:0; padding:0; }
        ul.plain li + li { margin-top:.25rem; }
        .state-offline { color:var(--bad); font-weight:600; } .state-online { color:var(--ok); font-weight:600; }
        form.filters { align-items:flex-end; }
        form.filters > div { flex:1 1 12rem; min-width:0; }
        form.filters label { margin-top:0; }
        form.filters button { margin-top:0; }
        .count { margin:.25rem 0 .75rem; }
        @media (max-width: 48rem) {
          tr.alarmed { border:2px solid var(--bad); }
          tr.alarmed, tr.alarmed > td { background:#fdf1f0; }
        }
        """;
}
