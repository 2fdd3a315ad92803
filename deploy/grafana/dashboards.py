#!/usr/bin/env python3
"""Writes the Grafana dashboards (deploy/grafana/dashboards/*.json) from the panel lists below.

    python3 deploy/grafana/dashboards.py

Every expression is evaluated against a real Prometheus by e2e-tests' DashboardQueriesIT, so a
panel that shows nothing fails the build. No template variables: each expression runs as written.
The datasource is the provisioned one, uid "prometheus".
"""
import json
import os

DS = {"type": "prometheus", "uid": "prometheus"}
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboards")
W = "[1m]"


def panel(title, exprs, unit="short", kind="timeseries", legend=None, desc=""):
    if isinstance(exprs, str):
        exprs = [exprs]
    targets = []
    for i, e in enumerate(exprs):
        t = {"datasource": DS, "expr": e, "refId": chr(65 + i)}
        if legend:
            t["legendFormat"] = legend[i] if isinstance(legend, list) else legend
        targets.append(t)
    return {"type": kind, "title": title, "description": desc, "datasource": DS, "targets": targets,
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "options": {"legend": {"displayMode": "table", "placement": "right", "calcs": ["lastNotNull"]}}
            if kind == "timeseries" else {}}


def dashboard(uid, title, panels, description):
    laid = []
    for i, p in enumerate(panels):
        p = dict(p)
        p["id"] = i + 1
        p["gridPos"] = {"x": (i % 2) * 12, "y": (i // 2) * 8, "w": 12, "h": 8}
        laid.append(p)
    return {"uid": uid, "title": title, "description": description, "tags": ["netstack"], "timezone": "browser",
            "schemaVersion": 39, "version": 1, "editable": True, "refresh": "5s",
            "time": {"from": "now-15m", "to": "now"}, "panels": laid,
            "links": [{"title": "netstack", "type": "dashboards", "tags": ["netstack"], "asDropdown": True}]}


def rate(metric, by, where=""):
    return f"sum by ({by}) (rate({metric}{{{where}}}{W}))" if where else f"sum by ({by}) (rate({metric}{W}))"


def quantile(q, hist, by, where=""):
    sel = f"{hist}_bucket{{{where}}}" if where else f"{hist}_bucket"
    return f"histogram_quantile({q}, sum by (le, {by}) (rate({sel}{W})))"


overview = dashboard("netstack-overview", "netstack overview", [
    panel("Throughput per layer (skbs in/s)", rate("netstack_skb_in_total", "layer"), "pps", legend="{{layer}}",
          desc="Records each layer takes from its queues (netstack_skb_in_total)."),
    panel("Handed on per queue (skbs out/s)", rate("netstack_skb_out_total", "queue"), "pps", legend="{{queue}}"),
    panel("Drops by layer and reason (/s)",
          "topk(10, sum by (layer, reason) (rate(netstack_skb_dropped_total[1m])))", "pps",
          legend="{{layer}} {{reason}}", desc="kfree_skb_reason: SKB_DROP_REASON_* names."),
    panel("Latency per hop (p99)", quantile(0.99, "netstack_hop_latency_seconds", "layer, queue"), "s",
          legend="{{queue}} -> {{layer}}", desc="From the skb's previous hop to its arrival in this layer."),
    panel("End-to-end latency (p50, p99) by fate",
          [quantile(0.5, "netstack_e2e_latency_seconds", "fate"), quantile(0.99, "netstack_e2e_latency_seconds", "fate")],
          "s", legend=["p50 {{fate}}", "p99 {{fate}}"],
          desc="From the skb's entry (frame off the wire, socket send) to its fate."),
    panel("Queue depth per layer and queue (consumer lag)", "sum by (layer, queue) (netstack_queue_depth)", "short",
          legend="{{layer}} {{queue}}", desc="The emulated backlog: records not yet taken by the layer's group."),
    panel("Queue depth per partition (emulated CPU)", "max by (queue, partition) (netstack_queue_depth)", "short",
          legend="{{queue}} cpu{{partition}}"),
    panel("Instances up per layer", "count by (layer) (netstack_instance_start_time_seconds)", "short",
          legend="{{layer}}"),
    panel("Restarts per layer (last hour)",
          "sum by (layer) (changes(netstack_instance_start_time_seconds[1h]))"
          " + (count by (layer) (last_over_time(netstack_instance_start_time_seconds[1h]))"
          " - count by (layer) (netstack_instance_start_time_seconds))",
          "short", legend="{{layer}}",
          desc="A new start time on a target (a container restarted) or a new target (an instance replaced)."),
    panel("Rebalances (last 15m)", "sum by (layer) (increase(netstack_rebalances_total[15m]))", "short",
          legend="{{layer}}"),
    panel("Dead-lettered records (last 15m)", "sum by (layer, queue) (increase(netstack_skb_dead_lettered_total[15m]))",
          "short", legend="{{layer}} {{queue}}"),
    panel("Scrape targets up", "sum by (layer) (up{job=\"netstack\"})", "short", legend="{{layer}}"),
    panel("Kafka consumer-group lag (kafka-exporter)", "sum by (consumergroup, topic) (kafka_consumergroup_lag)",
          "short", legend="{{consumergroup}} {{topic}}",
          desc="From danielqsj/kafka-exporter: also when no instance of a layer is up to report its depth."),
], "Per-layer throughput, drops by reason, latency per hop and end to end, queue depth, instances and restarts.")


def layer_common(layer):
    w = f'layer="{layer}"'
    return [
        panel("skbs in per queue (/s)", rate("netstack_skb_in_total", "queue", w), "pps", legend="{{queue}}"),
        panel("skbs out per queue (/s)", rate("netstack_skb_out_total", "queue", w), "pps", legend="{{queue}}"),
        panel("Drops by reason (/s)",
              f"topk(8, sum by (reason) (rate(netstack_skb_dropped_total{{{w}}}{W})))", "pps", legend="{{reason}}"),
        panel("Hop latency (p50, p99)",
              [quantile(0.5, "netstack_hop_latency_seconds", "queue", w),
               quantile(0.99, "netstack_hop_latency_seconds", "queue", w)], "s",
              legend=["p50 {{queue}}", "p99 {{queue}}"]),
        panel("Queue depth per partition", f"sum by (queue, partition) (netstack_queue_depth{{{w}}})", "short",
              legend="{{queue}} cpu{{partition}}"),
    ]


def netstat(names, title, unit="short"):
    exprs = [f"sum by (netns) (rate(node_netstat_{n}{W}))" for n in names]
    return panel(title, exprs, unit, legend=[f"{{{{netns}}}} {n}" for n in names])


def link(stats, title, unit="pps"):
    exprs = [f"sum by (netns, device) (rate(node_network_{s}_total{W}))" for s in stats]
    return panel(title, exprs, unit, legend=[f"{{{{netns}}}} {{{{device}}}} {s}" for s in stats])


def softnet(cols, title):
    exprs = [f"sum by (cpu) (rate(node_softnet_{c}_total{W}))" for c in cols]
    return panel(title, exprs, "pps", legend=[f"cpu{{{{cpu}}}} {c}" for c in cols])


layers = {
    "nic": ("the driver and the wire: RX ring, MAC filter, netif_rx, TX", [
        link(["receive_packets", "transmit_packets"], "Link packets (rx/tx per device)"),
        link(["receive_bytes", "transmit_bytes"], "Link bytes (rx/tx per device)", "Bps"),
        link(["receive_drop", "receive_otherhost_dropped", "transmit_drop"], "Link drops"),
        softnet(["dropped"], "softnet_stat dropped (backlog full)"),
    ]),
    "softirq": ("NET_RX/NET_TX: net_rx_action, __netif_receive_skb_core, the qdisc", [
        softnet(["processed", "times_squeezed"], "softnet_stat processed / time_squeeze"),
        link(["receive_drop", "receive_nohandler"], "rx_dropped / rx_nohandler (no protocol handler)"),
    ]),
    "l3": ("ip_rcv .. ip_local_deliver / ip_forward, ARP, routing, fragments, netfilter", [
        netstat(["Ip_InReceives", "Ip_InDelivers", "Ip_ForwDatagrams", "Ip_OutRequests"], "Ip: receives, delivers, forwards, sends"),
        netstat(["Ip_InHdrErrors", "Ip_InAddrErrors", "Ip_InDiscards", "Ip_OutNoRoutes", "IpExt_InNoRoutes",
                 "IpExt_InCsumErrors", "IpExt_InTruncatedPkts"], "Ip errors"),
        netstat(["IpExt_InOctets", "IpExt_OutOctets"], "IpExt octets", "Bps"),
        netstat(["Ip_ReasmReqds", "Ip_ReasmOKs", "Ip_ReasmFails", "Ip_FragOKs", "Ip_FragCreates"], "Fragments"),
    ]),
    "l4": ("icmp_rcv, udp_rcv, tcp_v4_rcv and the TCP state machine", [
        netstat(["Icmp_InMsgs", "Icmp_InEchos", "Icmp_OutMsgs", "Icmp_OutEchoReps", "Icmp_OutDestUnreachs"], "Icmp"),
        netstat(["Udp_InDatagrams", "Udp_NoPorts", "Udp_InErrors", "Udp_OutDatagrams"], "Udp"),
        netstat(["Tcp_PassiveOpens", "Tcp_ActiveOpens", "Tcp_InSegs", "Tcp_OutSegs", "Tcp_OutRsts"], "Tcp"),
        panel("TCP connections established", "sum by (netns) (node_netstat_Tcp_CurrEstab)", "short",
              legend="{{netns}}"),
    ]),
    "socket": ("the socket layer: receive queues and the applications' API", [
        netstat(["Udp_InDatagrams", "Udp_RcvbufErrors", "Udp_InErrors"], "Socket receive queues (Udp)"),
        panel("End-to-end latency to delivery (p50, p99)",
              [quantile(0.5, "netstack_e2e_latency_seconds", "fate", 'layer="socket"'),
               quantile(0.99, "netstack_e2e_latency_seconds", "fate", 'layer="socket"')], "s",
              legend=["p50 {{fate}}", "p99 {{fate}}"]),
    ]),
}

os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "overview.json"), "w") as f:
    json.dump(overview, f, indent=2)
    f.write("\n")
for name, (what, panels) in layers.items():
    d = dashboard(f"netstack-{name}", f"netstack layer: {name}", layer_common(name) + panels, what)
    with open(os.path.join(OUT, f"layer-{name}.json"), "w") as f:
        json.dump(d, f, indent=2)
        f.write("\n")
