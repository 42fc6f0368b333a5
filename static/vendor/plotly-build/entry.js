// plotly.js's core (which holds the scatter trace) with only the other trace types the app
// draws (reports/charts.py): a new trace type there needs its module here and a rebuild.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/box'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/scatterpolar'),
]);

module.exports = Plotly;
