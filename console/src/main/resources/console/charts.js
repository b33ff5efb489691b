// Small line charts on a canvas (no chart library): messages in/out per second on a shared scale,
// connections on their own scale, for the last samples the server keeps.

const COLORS = { inPerSecond: '#2459c7', outPerSecond: '#1e7b34', connections: '#8a8f98' };

export function drawChart(canvas, samples) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 360;
  const h = canvas.clientHeight || 110;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const g = canvas.getContext('2d');
  g.scale(dpr, dpr);
  g.clearRect(0, 0, w, h);
  g.strokeStyle = '#e3e6eb';
  g.lineWidth = 1;
  for (let i = 1; i < 4; i++) {
    g.beginPath();
    g.moveTo(0, (h * i) / 4);
    g.lineTo(w, (h * i) / 4);
    g.stroke();
  }
  if (samples.length < 2) return;
  const rateMax = Math.max(1, ...samples.map((s) => Math.max(s.inPerSecond, s.outPerSecond)));
  const connMax = Math.max(1, ...samples.map((s) => s.connections));
  const x = (i) => (i / (samples.length - 1)) * (w - 2) + 1;
  const line = (key, max) => {
    g.strokeStyle = COLORS[key];
    g.lineWidth = 1.5;
    g.beginPath();
    samples.forEach((s, i) => {
      const y = h - 2 - (s[key] / max) * (h - 14);
      if (i === 0) g.moveTo(x(i), y);
      else g.lineTo(x(i), y);
    });
    g.stroke();
  };
  line('connections', connMax);
  line('inPerSecond', rateMax);
  line('outPerSecond', rateMax);
  g.fillStyle = '#5f6b7a';
  g.font = '10px system-ui, sans-serif';
  g.fillText(`max ${rateMax.toFixed(1)}/s · ${connMax} conn`, 4, 10);
}
