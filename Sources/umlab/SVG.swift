/// Grouped bar charts as standalone SVG, drawn here (no plotting library or service): a title,
/// a y axis with ticks and grid lines (linear or logarithmic), one cluster of bars per group,
/// an error bar per bar for the spread, group labels, and a legend of the series.
struct BarChart {
    struct Bar {
        var series: String
        var value: Double?
        var low: Double? = nil
        var high: Double? = nil
    }
    struct Group {
        var label: String
        var bars: [Bar]
    }

    var title: String
    var yLabel: String
    var groups: [Group]
    var logScale = false
    /// Bars grow from this value (1 for ratios); by default from 0, or from the axis bottom on a log axis.
    var baseline: Double? = nil
    /// A dashed horizontal line with a label (e.g. "1× = SKAS").
    var reference: (value: Double, label: String)? = nil
    /// Series order and colours; series not listed get the next free colour.
    var seriesOrder: [String] = []
    var note: String? = nil

    static let palette = ["#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9", "#CC79A7", "#999999", "#000000", "#F0E442"]

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    /// Short tick labels: 0.5, 12, 1.5k, 20k, 3M.
    static func tickLabel(_ v: Double) -> String {
        func trim(_ x: Double) -> String {
            let s = x >= 100 ? String(Int(x.rounded())) : x >= 10 ? fixed(x, 1) : fixed(x, 2)
            var t = s
            if t.contains(".") { while t.hasSuffix("0") { t.removeLast() }; if t.hasSuffix(".") { t.removeLast() } }
            return t
        }
        let a = abs(v)
        if a >= 1e9 { return trim(v / 1e9) + "G" }
        if a >= 1e6 { return trim(v / 1e6) + "M" }
        if a >= 1e4 { return trim(v / 1e3) + "k" }
        if a > 0 && a < 0.01 {
            let e = Int(lg10(a).rounded())
            let m = v / pow10(e)
            return (abs(m - m.rounded()) < 1e-6 ? String(Int(m.rounded())) : fixed(m, 1)) + "e\(e)"
        }
        return trim(v)
    }

    static func fixed(_ v: Double, _ digits: Int) -> String {
        if digits <= 0 { return v.isFinite && abs(v) < 9e15 ? String(Int(v.rounded())) : "\(v)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (v * scale).rounded() / scale
        var s = "\(r)"
        if s.contains("e") { return "\(v)" }
        if !s.contains(".") { s += "." }
        let frac = s.split(separator: ".", omittingEmptySubsequences: false)
        let have = frac.count > 1 ? frac[1].count : 0
        if have < digits { s += String(repeating: "0", count: digits - have) }
        return s
    }

    /// Tick values for a linear axis from 0 (or below) to at least `top`: steps of 1, 2 or 5 × 10^k.
    static func linearTicks(low: Double, high: Double) -> [Double] {
        let span = max(high - low, 1e-12)
        let raw = span / 5
        var p = 1.0
        while p * 10 <= raw { p *= 10 }
        while p > raw { p /= 10 }
        let step = [1.0, 2, 5, 10].map { $0 * p }.first { $0 >= raw } ?? p * 10
        var t = (low / step).rounded(.down) * step
        var out: [Double] = []
        while t < high + step * 0.999 && out.count < 50 { out.append(t); t += step }
        return out
    }

    func svg() -> String {
        let present = groups.flatMap { $0.bars.map(\.series) }
        var series = seriesOrder.filter(present.contains)
        for name in present where !series.contains(name) { series.append(name) }
        func color(_ s: String) -> String { BarChart.palette[(series.firstIndex(of: s) ?? 0) % BarChart.palette.count] }

        let maxBars = max(1, groups.map(\.bars.count).max() ?? 1)
        let barWidth = maxBars > 6 ? 12.0 : maxBars > 3 ? 16.0 : 24.0
        let groupGap = 26.0
        let groupWidth = Double(maxBars) * barWidth
        let left = 78.0, right = 24.0, top = 54.0
        let plotWidth = max(460.0, Double(groups.count) * (groupWidth + groupGap))
        let width = left + plotWidth + right
        // Legend below the group labels, wrapped into rows.
        var legendRows: [[String]] = [[]]
        var rowWidth = 0.0
        let legendNames = series + (reference.map { [$0.label] } ?? [])
        for s in legendNames {
            let w = 26.0 + Double(s.count) * 7.0 + 18
            if rowWidth + w > width - left - 8, !legendRows[legendRows.count - 1].isEmpty { legendRows.append([]); rowWidth = 0 }
            legendRows[legendRows.count - 1].append(s)
            rowWidth += w
        }
        let plotHeight = 260.0
        let bottomOfPlot = top + plotHeight
        let legendTop = bottomOfPlot + 44
        let height = legendTop + Double(legendRows.count) * 20 + (note == nil ? 10 : 30)

        // The value range: every median and error-bar end, and the baseline.
        var values: [Double] = []
        for g in groups { for b in g.bars { values += [b.value, b.low, b.high].compactMap { $0 }.filter { $0.isFinite } } }
        if let r = reference { values.append(r.value) }
        let positive = values.filter { $0 > 0 }
        var ticks: [Double]
        var y: (Double) -> Double
        let base: Double
        if logScale {
            let lo = positive.min() ?? 1, hi = positive.max() ?? 10
            var e0 = Int((lg10(lo)).rounded(.down)), e1 = Int((lg10(hi)).rounded(.up))
            if let b = baseline, b > 0 { e0 = min(e0, Int(lg10(b).rounded(.down))); e1 = max(e1, Int(lg10(b).rounded(.up))) }
            if e1 <= e0 { e1 = e0 + 1 }
            ticks = (e0...e1).map { pow10($0) }
            let l0 = Double(e0), l1 = Double(e1)
            y = { v in bottomOfPlot - (lg10(max(v, pow10(e0 - 3))) - l0) / (l1 - l0) * plotHeight }
            base = baseline ?? pow10(e0)
        } else {
            let lo = min(0, values.min() ?? 0), hi = max(values.max() ?? 1, lo + 1e-9)
            ticks = BarChart.linearTicks(low: lo, high: hi)
            let t0 = ticks.first ?? 0, t1 = ticks.last ?? 1
            y = { v in bottomOfPlot - (v - t0) / max(t1 - t0, 1e-12) * plotHeight }
            base = baseline ?? 0
        }

        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
        s += "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"#ffffff\"/>\n"
        s += "<text x=\"\(Int(width / 2))\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(BarChart.escape(title))</text>\n"
        // Grid and y ticks.
        for t in ticks {
            let ty = y(t)
            s += "<line x1=\"\(f(left))\" y1=\"\(f(ty))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(ty))\" stroke=\"#dddddd\" stroke-width=\"1\"/>\n"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(ty + 4))\" text-anchor=\"end\" fill=\"#333333\">\(BarChart.escape(BarChart.tickLabel(t)))</text>\n"
        }
        let yLabelX = 18.0, yLabelY = top + plotHeight / 2
        s += "<text x=\"\(f(yLabelX))\" y=\"\(f(yLabelY))\" text-anchor=\"middle\" transform=\"rotate(-90 \(f(yLabelX)) \(f(yLabelY)))\" fill=\"#333333\">\(BarChart.escape(yLabel + (logScale ? " (log scale)" : "")))</text>\n"
        // Axes.
        s += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(bottomOfPlot))\" stroke=\"#000000\" stroke-width=\"1\"/>\n"
        s += "<line x1=\"\(f(left))\" y1=\"\(f(bottomOfPlot))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(bottomOfPlot))\" stroke=\"#000000\" stroke-width=\"1\"/>\n"
        if let r = reference {
            let ry = y(r.value)
            s += "<line x1=\"\(f(left))\" y1=\"\(f(ry))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(ry))\" stroke=\"#555555\" stroke-width=\"1\" stroke-dasharray=\"5 4\"/>\n"
        }
        // Bars.
        let slot = plotWidth / Double(max(groups.count, 1))
        let baseY = y(base)
        for (gi, g) in groups.enumerated() {
            let gx = left + slot * Double(gi) + (slot - Double(g.bars.count) * barWidth) / 2
            for (bi, b) in g.bars.enumerated() {
                let x = gx + Double(bi) * barWidth
                let tip = "\(g.label), \(b.series): " + (b.value.map(BarChart.valueText) ?? "n/a")
                    + (b.low != nil && b.high != nil ? " (\(BarChart.valueText(b.low!))–\(BarChart.valueText(b.high!)))" : "")
                guard let v = b.value, v.isFinite, !logScale || v > 0 else {
                    s += "<text x=\"\(f(x + barWidth / 2))\" y=\"\(f(bottomOfPlot - 4))\" text-anchor=\"middle\" font-size=\"9\" fill=\"#777777\" transform=\"rotate(-90 \(f(x + barWidth / 2)) \(f(bottomOfPlot - 4)))\" dx=\"10\">n/a<title>\(BarChart.escape(tip))</title></text>\n"
                    continue
                }
                let vy = y(v)
                let y0 = min(vy, baseY), h = max(abs(baseY - vy), 0.5)
                s += "<rect x=\"\(f(x + 1))\" y=\"\(f(y0))\" width=\"\(f(barWidth - 2))\" height=\"\(f(h))\" fill=\"\(color(b.series))\"><title>\(BarChart.escape(tip))</title></rect>\n"
                if let lo = b.low, let hi = b.high, lo.isFinite, hi.isFinite, !logScale || lo > 0 {
                    let cx = x + barWidth / 2, ly = y(lo), hy = y(hi)
                    s += "<line x1=\"\(f(cx))\" y1=\"\(f(ly))\" x2=\"\(f(cx))\" y2=\"\(f(hy))\" stroke=\"#000000\" stroke-width=\"1\"/>\n"
                    for e in [ly, hy] {
                        s += "<line x1=\"\(f(cx - 3))\" y1=\"\(f(e))\" x2=\"\(f(cx + 3))\" y2=\"\(f(e))\" stroke=\"#000000\" stroke-width=\"1\"/>\n"
                    }
                }
            }
            s += "<text x=\"\(f(left + slot * (Double(gi) + 0.5)))\" y=\"\(f(bottomOfPlot + 18))\" text-anchor=\"middle\">\(BarChart.escape(g.label))</text>\n"
        }
        // Legend.
        for (ri, row) in legendRows.enumerated() {
            var lx = left
            let ly = legendTop + Double(ri) * 20
            for name in row {
                if let r = reference, name == r.label, !series.contains(name) {
                    s += "<line x1=\"\(f(lx))\" y1=\"\(f(ly - 4))\" x2=\"\(f(lx + 14))\" y2=\"\(f(ly - 4))\" stroke=\"#555555\" stroke-width=\"1\" stroke-dasharray=\"4 3\"/>\n"
                } else {
                    s += "<rect x=\"\(f(lx))\" y=\"\(f(ly - 10))\" width=\"14\" height=\"12\" fill=\"\(color(name))\"/>\n"
                }
                s += "<text x=\"\(f(lx + 20))\" y=\"\(f(ly))\">\(BarChart.escape(name))</text>\n"
                lx += 26 + Double(name.count) * 7.0 + 18
            }
        }
        if let note {
            s += "<text x=\"\(f(left))\" y=\"\(f(height - 10))\" font-size=\"11\" fill=\"#555555\">\(BarChart.escape(note))</text>\n"
        }
        s += "</svg>\n"
        return s
    }

    static func valueText(_ v: Double) -> String {
        abs(v) >= 100 ? String(Int(v.rounded())) : abs(v) >= 1 ? fixed(v, 2) : fixed(v, 4)
    }
    private func f(_ v: Double) -> String { BarChart.fixed(v, 1) }
}

func pow10(_ e: Int) -> Double {
    var r = 1.0
    if e >= 0 { for _ in 0..<e { r *= 10 } } else { for _ in 0..<(-e) { r /= 10 } }
    return r
}

func lg10(_ x: Double) -> Double {
    // Natural log by the identity ln x = 2 atanh((x-1)/(x+1)) after scaling into [1, 10),
    // so that this module needs no C math import.
    guard x > 0, x.isFinite else { return x == 0 ? -.infinity : .nan }
    var m = x, e = 0.0
    while m >= 10 { m /= 10; e += 1 }
    while m < 1 { m *= 10; e -= 1 }
    let t = (m - 1) / (m + 1), t2 = t * t
    var term = t, sum = 0.0, k = 1.0
    for _ in 0..<60 { sum += term / k; term *= t2; k += 2 }
    return e + 2 * sum / 2.302585092994046
}
