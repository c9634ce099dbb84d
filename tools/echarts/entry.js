// The ECharts modules the cockpit draws with (cockpit.js BUILDERS: indicator, bars, line, gauge, pie).
import * as echarts from "echarts/core";
import { BarChart, GaugeChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, MarkLineComponent, TitleComponent, ToolboxComponent,
         TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, GaugeChart, LineChart, PieChart, GridComponent, LegendComponent, MarkLineComponent,
             TitleComponent, ToolboxComponent, TooltipComponent, CanvasRenderer]);
window.echarts = echarts;
