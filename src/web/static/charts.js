/*
 * Draws every chart on a CapPulse page with uPlot. The page embeds each chart's data as JSON in
 * <script type="application/json" id="chart-data-N">: {x: [epoch s], unit, series: [{label,
 * color, values}], bands: [[start s, end s, label]]}. Bands are maintenance windows, shaded
 * behind the lines. Times are drawn in UTC like the rest of the pages. Plain script, no build step.
 */
(function () {
  'use strict';
  if (typeof uPlot === 'undefined') return;

  function fmt(unit, v) {
    if (v == null || !isFinite(v)) return '—';
    if (unit === '%') return (v < 10 ? v.toFixed(2) : v.toFixed(1)) + '%';
    if (unit === 'ms') return v >= 1000 ? (v / 1000).toFixed(2) + ' s' : Math.round(v) + ' ms';
    return String(v);
  }

  function bandsPlugin(bands) {
    return {
      hooks: {
        drawClear: function (u) {
          var ctx = u.ctx;
          ctx.save();
          ctx.fillStyle = 'rgba(247, 144, 9, 0.12)';
          bands.forEach(function (b) {
            var x0 = Math.max(u.bbox.left, u.valToPos(b[0], 'x', true));
            var x1 = Math.min(u.bbox.left + u.bbox.width, u.valToPos(b[1], 'x', true));
            if (x1 > x0) ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
          });
          ctx.restore();
        },
      },
    };
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute('data-chart'));
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    var plot = el.querySelector('.plot');
    var width = Math.max(280, plot.clientWidth || el.clientWidth - 20);
    var opts = {
      // The rest of the dashboard shows UTC; the axes agree with it.
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); },
      width: width,
      height: 220,
      plugins: [bandsPlugin(spec.bands || [])],
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(max || 0, spec.unit === '%' ? 1 : 10) * 1.1]; } } },
      axes: [{}, { size: 60, values: function (u, vals) { return vals.map(function (v) { return fmt(spec.unit, v); }); } }],
      series: [{}].concat(spec.series.map(function (s) {
        // Buckets without probes are null: with probes rarer than the bucket width (every 5 min
        // on a 1-minute chart) most are, so the line joins the measured points and marks them.
        return { label: s.label, stroke: s.color, width: 1.5, spanGaps: true, points: { show: true, size: 4, fill: s.color }, value: function (u, v) { return fmt(spec.unit, v); } };
      })),
      legend: { live: true },
    };
    var data = [spec.x].concat(spec.series.map(function (s) { return s.values; }));
    var chart = new uPlot(opts, data, plot);
    window.addEventListener('resize', function () {
      chart.setSize({ width: Math.max(280, plot.clientWidth), height: 220 });
    });
  }

  document.querySelectorAll('[data-chart]').forEach(draw);
})();
