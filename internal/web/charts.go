package web

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"strconv"

	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/report"
)

// Charts are small server-rendered SVGs, each in a <figure> with a table of the same figures beside
// it: screen readers and browsers without CSS or SVG read the table. No inline style attributes (the
// Content-Security-Policy forbids them): the stylesheet colours the classes; geometry is SVG
// presentation attributes. No Go charting library is on the approved list; these two shapes are
// enough.

// chartBar is one bar of a bar chart.
type chartBar struct {
	Label string  // in the table's first column, and under the bar unless Short is set
	Short string  // a shorter label under the bar
	Value float64 // the bar's height in the chart's unit
	Text  string  // the value as the table shows it
	Class string  // an extra class: "ok", "warn", "err" or ""
	// Geometry, filled by barChart.
	X, Y, W, H, LX, LY, VY float64
}

type barChart struct {
	ID, Title, Caption string
	ColLabel, ColValue string // the table's column headings
	Max                float64
	Bars               []chartBar
	Width, Height      float64
	Ticks              []chartTick
}

type chartTick struct {
	Y    float64
	Text string
}

// chartPoint is one point of a scatter chart.
type chartPoint struct {
	Label      string
	X, Y       float64 // data
	PX, PY     float64 // position
	XText      string
	YText      string
	Class      string
	Annotation string
}

type scatterChart struct {
	ID, Title, Caption       string
	XLabel, YLabel, ColLabel string
	Points                   []chartPoint
	Width, Height            float64
	Left, Top, PlotW, PlotH  float64
	ZeroY                    float64
	XTicks, YTicks           []chartTick
	XTickY                   float64
	FlagBandY, FlagBandH     float64
}

const (
	chartW, chartH            = 640.0, 260.0
	chartLeft, chartBottom    = 44.0, 40.0
	chartTop, chartRightSpace = 16.0, 8.0
)

// layout computes the bars' geometry: bars share the plot width, heights scale to Max.
func (c *barChart) layout() {
	c.Width, c.Height = chartW, chartH
	plotW, plotH := chartW-chartLeft-chartRightSpace, chartH-chartTop-chartBottom
	if c.Max <= 0 {
		for _, b := range c.Bars {
			c.Max = max(c.Max, b.Value)
		}
		if c.Max <= 0 {
			c.Max = 1
		}
	}
	n := float64(max(len(c.Bars), 1))
	slot := plotW / n
	for i := range c.Bars {
		b := &c.Bars[i]
		b.W = slot * 0.7
		b.X = chartLeft + slot*float64(i) + slot*0.15
		b.H = plotH * min(b.Value, c.Max) / c.Max
		b.Y = chartTop + plotH - b.H
		b.LX = b.X + b.W/2
		b.LY = chartH - chartBottom + 16
		b.VY = b.Y - 4
	}
	for _, f := range []float64{0, 0.5, 1} {
		c.Ticks = append(c.Ticks, chartTick{Y: chartTop + plotH*(1-f), Text: trimFloat(c.Max * f)})
	}
}

func trimFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

var chartTemplates = template.Must(template.New("charts").Parse(`
{{define "bars"}}<figure class="chart" aria-labelledby="{{.ID}}-cap">
<figcaption id="{{.ID}}-cap">{{.Caption}}</figcaption>
<div class="chart-body">
<svg class="chart-svg" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-labelledby="{{.ID}}-title" focusable="false">
<title id="{{.ID}}-title">{{.Title}} (the table beside it gives the same figures)</title>
{{range .Ticks}}<line class="chart-grid" x1="44" x2="632" y1="{{.Y}}" y2="{{.Y}}"/><text class="chart-tick" x="38" y="{{.Y}}" text-anchor="end" dominant-baseline="middle">{{.Text}}</text>{{end}}
{{range .Bars}}<rect class="chart-bar{{with .Class}} chart-{{.}}{{end}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Label}}: {{.Text}}</title></rect>
<text class="chart-value" x="{{.LX}}" y="{{.VY}}" text-anchor="middle">{{.Text}}</text><text class="chart-label" x="{{.LX}}" y="{{.LY}}" text-anchor="middle">{{or .Short .Label}}</text>{{end}}
</svg>
<div class="table-wrap"><table class="chart-table"><thead><tr><th scope="col">{{.ColLabel}}</th><th scope="col">{{.ColValue}}</th></tr></thead><tbody>
{{range .Bars}}<tr><th scope="row">{{.Label}}</th><td>{{.Text}}</td></tr>{{end}}</tbody></table></div>
</div></figure>{{end}}
{{define "scatter"}}<figure class="chart" aria-labelledby="{{.ID}}-cap">
<figcaption id="{{.ID}}-cap">{{.Caption}}</figcaption>
<div class="chart-body">
<svg class="chart-svg" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-labelledby="{{.ID}}-title" focusable="false">
<title id="{{.ID}}-title">{{.Title}} (the table beside it gives the same figures)</title>
<rect class="chart-flag-band" x="{{.Left}}" y="{{.FlagBandY}}" width="{{.PlotW}}" height="{{.FlagBandH}}"/>
{{range .YTicks}}<line class="chart-grid" x1="{{$.Left}}" x2="{{$.Right}}" y1="{{.Y}}" y2="{{.Y}}"/><text class="chart-tick" x="{{$.Left}}" dx="-6" y="{{.Y}}" text-anchor="end" dominant-baseline="middle">{{.Text}}</text>{{end}}
{{range .XTicks}}<text class="chart-tick" x="{{.Y}}" y="{{$.XTickY}}" text-anchor="middle">{{.Text}}</text>{{end}}
<line class="chart-axis" x1="{{.Left}}" x2="{{.Right}}" y1="{{.ZeroY}}" y2="{{.ZeroY}}"/>
<text class="chart-label" x="{{.MidX}}" y="{{.Height}}" dy="-4" text-anchor="middle">{{.XLabel}}</text>
<text class="chart-label" x="12" y="{{.MidY}}" text-anchor="middle" transform="rotate(-90 12 {{.MidY}})">{{.YLabel}}</text>
{{range .Points}}<circle class="chart-point{{with .Class}} chart-{{.}}{{end}}" cx="{{.PX}}" cy="{{.PY}}" r="4"><title>{{.Label}}: p {{.XText}}, discrimination {{.YText}}</title></circle>{{end}}
</svg>
<div class="table-wrap"><table class="chart-table"><thead><tr><th scope="col">{{.ColLabel}}</th><th scope="col">{{.XLabel}}</th><th scope="col">{{.YLabel}}</th></tr></thead><tbody>
{{range .Points}}<tr><th scope="row">{{.Label}}</th><td>{{.XText}}</td><td>{{.YText}}{{with .Annotation}} <span class="muted">({{.}})</span>{{end}}</td></tr>{{else}}<tr><td colspan="3">No item has a discrimination yet.</td></tr>{{end}}</tbody></table></div>
</div></figure>{{end}}
`))

func renderChart(name string, data any) (template.HTML, error) {
	var buf bytes.Buffer
	if err := chartTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil // html/template escaped every value
}

// Right, MidX and MidY place the scatter's axis and labels.
func (s scatterChart) Right() float64 { return s.Left + s.PlotW }
func (s scatterChart) MidX() float64  { return s.Left + s.PlotW/2 }
func (s scatterChart) MidY() float64  { return s.Top + s.PlotH/2 }

// passRateChart: the written exam's pass rate per cohort.
func passRateChart(cs []report.CohortExam) (template.HTML, error) {
	c := barChart{ID: "pass-rate", Title: "Written-exam pass rate by cohort", Caption: "Pass rate of finished written-exam attempts, by cohort",
		ColLabel: "Cohort", ColValue: "Passed (of attempts)", Max: 100}
	for _, x := range cs {
		c.Bars = append(c.Bars, chartBar{Label: x.Name, Value: x.PassRate(), Text: fmt.Sprintf("%.0f%% (%d of %d)", x.PassRate(), x.Passed, x.Attempts)})
	}
	c.layout()
	for i := range c.Ticks {
		c.Ticks[i].Text += "%"
	}
	return renderChart("bars", c)
}

// scoreChart: how the scores of one cohort (or all) spread over bands of 10 points.
func scoreChart(name string, scores [report.Bands]int) (template.HTML, error) {
	c := barChart{ID: "scores", Title: "Score distribution: " + name, Caption: "Written-exam scores, " + name + ", attempts per band",
		ColLabel: "Score", ColValue: "Attempts"}
	for i, n := range scores {
		label := fmt.Sprintf("%d–%d%%", i*10, i*10+9)
		if i == report.Bands-1 {
			label = "90–100%"
		}
		c.Bars = append(c.Bars, chartBar{Label: label, Value: float64(n), Text: strconv.Itoa(n)})
	}
	c.layout()
	return renderChart("bars", c)
}

// ceStandingChart: the vendor's holders by CE standing.
func ceStandingChart(s report.CEStanding) (template.HTML, error) {
	c := barChart{ID: "ce-standing", Title: "Continuing education of active certificate holders", Caption: "Continuing education of your active certificate holders",
		ColLabel: "Standing", ColValue: "Holders", Bars: []chartBar{
			{Label: "On track", Value: float64(s.OnTrack), Text: strconv.Itoa(s.OnTrack), Class: "ok"},
			{Label: fmt.Sprintf("At risk (cycle ends within %d days, not met)", report.AtRiskDays), Value: float64(s.AtRisk), Text: strconv.Itoa(s.AtRisk), Class: "warn"},
			{Label: "Lapsed", Value: float64(s.Lapsed), Text: strconv.Itoa(s.Lapsed), Class: "err"},
		}}
	c.layout()
	c.Bars[1].Short = "At risk" // the table says why; the chart has little room
	return renderChart("bars", c)
}

// perMonthChart: certificates issued per month.
func perMonthChart(ms []report.MonthCount) (template.HTML, error) {
	c := barChart{ID: "per-month", Title: "Certificates issued per month", Caption: "Certificates issued per month (first issue), last 12 months",
		ColLabel: "Month", ColValue: "Certificates"}
	for _, m := range ms {
		c.Bars = append(c.Bars, chartBar{Label: m.Month.Format("Jan 2006"), Value: float64(m.Count), Text: strconv.Itoa(m.Count)})
	}
	c.layout()
	for i := range c.Bars {
		c.Bars[i].Short = ms[i].Month.Format("Jan")
	}
	return renderChart("bars", c)
}

// LowDiscrimination is the discrimination below which an item is flagged for review.
const LowDiscrimination = 0.2

// itemScatter: each item's difficulty (p) against its discrimination.
func itemScatter(items []exam.ItemStat) (template.HTML, error) {
	s := scatterChart{ID: "items", Title: "Item difficulty against discrimination", Caption: "Items by difficulty p (share correct) and discrimination; the shaded band is below 0.2",
		XLabel: "Difficulty p", YLabel: "Discrimination", ColLabel: "Item", Width: chartW, Height: chartH + 20,
		Left: chartLeft + 12, Top: chartTop, PlotW: chartW - chartLeft - 12 - chartRightSpace, PlotH: chartH - chartTop - chartBottom}
	py := func(d float64) float64 { return s.Top + s.PlotH*(1-(d+1)/2) } // -1 … 1
	px := func(p float64) float64 { return s.Left + s.PlotW*p }          // 0 … 1
	s.ZeroY = py(0)
	s.FlagBandY, s.FlagBandH = py(LowDiscrimination), py(-1)-py(LowDiscrimination)
	for _, d := range []float64{-1, -0.5, 0, 0.5, 1} {
		s.YTicks = append(s.YTicks, chartTick{Y: py(d), Text: trimFloat(d)})
	}
	s.XTickY = s.Top + s.PlotH + 16
	for _, p := range []float64{0, 0.25, 0.5, 0.75, 1} {
		s.XTicks = append(s.XTicks, chartTick{Y: px(p), Text: trimFloat(p)})
	}
	for _, it := range items {
		if it.N == 0 || !it.Defined {
			continue
		}
		pt := chartPoint{Label: it.ItemID, X: it.P, Y: it.Discrimination, PX: px(it.P), PY: py(max(-1, min(1, it.Discrimination))),
			XText: fmt.Sprintf("%.2f", it.P), YText: fmt.Sprintf("%.2f", it.Discrimination)}
		if it.Discrimination < LowDiscrimination {
			pt.Class, pt.Annotation = "err", "low"
		}
		s.Points = append(s.Points, pt)
	}
	return renderChart("scatter", s)
}

// certificateCharts are the certificates page's charts: the holders' CE standing and the
// certificates issued per month over the last year.
func (h *Handlers) certificateCharts(ctx context.Context, vendorID string) ([]template.HTML, error) {
	st, err := h.Reports.ForCEStanding(ctx, vendorID, h.now())
	if err != nil {
		return nil, err
	}
	ms, err := h.Reports.ForCertificatesPerMonth(ctx, vendorID, h.now(), 12)
	if err != nil {
		return nil, err
	}
	a, err := ceStandingChart(st)
	if err != nil {
		return nil, err
	}
	b, err := perMonthChart(ms)
	if err != nil {
		return nil, err
	}
	return []template.HTML{a, b}, nil
}
