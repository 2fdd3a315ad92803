package io.netstack.codec;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netstack.proto.ControlBlock;
import io.netstack.proto.Hop;
import io.netstack.skb.PktType;
import io.netstack.skb.RouteResult;
import io.netstack.skb.SkBuff;
import io.netstack.stack.WireFrame;

/** SkBuff to and from its protobuf record (proto/skb.proto), field by field. */
public final class SkbCodec {
    private SkbCodec() {}

    public static io.netstack.proto.SkBuff toProto(SkBuff skb) {
        io.netstack.skb.ControlBlock cb = skb.cb();
        ControlBlock.Builder c = ControlBlock.newBuilder()
                .setIpFlags(cb.ipFlags)
                .setSocket(cb.socket == null ? "" : cb.socket)
                .setSaddr(cb.saddr).setDaddr(cb.daddr).setSport(cb.sport).setDport(cb.dport)
                .setIpProtocol(cb.ipProtocol).setTos(cb.tos).setTtl(cb.ttl).setDf(cb.df)
                .setNfCtinfo(cb.nfCtinfo).setNfCtId(cb.nfCtId)
                .setSockOp(cb.sockOp).setSockOpt(cb.sockOpt).setSockArg(cb.sockArg)
                .setSockChild(cb.sockChild == null ? "" : cb.sockChild)
                .setIpOptFlags(cb.ipOptFlags)
                .setFragMaxSize(cb.fragMaxSize);
        if (cb.ipOptions != null) c.setIpOptions(ByteString.copyFrom(cb.ipOptions));
        if (cb.route != null) {
            RouteResult r = cb.route;
            c.setRoute(io.netstack.proto.RouteResult.newBuilder()
                    .setRtType(r.rtType()).setOutDev(r.outDev()).setGateway(r.gateway())
                    .setMtu(r.mtu()).setPrefsrc(r.prefsrc()).setInput(r.input()));
        }
        io.netstack.proto.SkBuff.Builder b = io.netstack.proto.SkBuff.newBuilder()
                .setId(skb.id()).setParentId(skb.parentId()).setNetns(skb.netns())
                .setData(ByteString.copyFrom(skb.head()))
                .setDataOffset(skb.data()).setLen(skb.len())
                .setMacHeader(skb.macHeader()).setNetworkHeader(skb.networkHeader())
                .setTransportHeader(skb.transportHeader())
                .setDev(skb.dev()).setIif(skb.iif()).setProtocol(skb.protocol())
                .setPktTypeValue(skb.pktType().ordinal())
                .setHash(skb.hash()).setMark(skb.mark()).setPriority(skb.priority()).setCpu(skb.cpu())
                .setTstampNs(skb.tstamp())
                .setCb(c);
        for (SkBuff.Hop h : skb.hops()) {
            b.addHops(Hop.newBuilder().setLayer(h.layer()).setTimeNs(h.timeNanos()));
        }
        return b.build();
    }

    public static SkBuff fromProto(io.netstack.proto.SkBuff p) {
        SkBuff skb = new SkBuff(p.getId(), p.getNetns(), p.getData().toByteArray(), p.getDataOffset(), p.getLen());
        skb.setParentId(p.getParentId());
        skb.setMacHeader(p.getMacHeader());
        skb.setNetworkHeader(p.getNetworkHeader());
        skb.setTransportHeader(p.getTransportHeader());
        skb.setDev(p.getDev());
        skb.setIif(p.getIif());
        skb.setProtocol(p.getProtocol());
        int pt = p.getPktTypeValue();
        if (pt < 0 || pt >= PktType.values().length) throw new IllegalArgumentException("pkt_type " + pt);
        skb.setPktType(PktType.values()[pt]);
        skb.setHash(p.getHash());
        skb.setMark(p.getMark());
        skb.setPriority(p.getPriority());
        skb.setCpu(p.getCpu());
        skb.setTstamp(p.getTstampNs());
        for (Hop h : p.getHopsList()) skb.hops().add(new SkBuff.Hop(h.getLayer(), h.getTimeNs()));
        ControlBlock c = p.getCb();
        io.netstack.skb.ControlBlock cb = skb.cb();
        if (c.hasRoute()) {
            io.netstack.proto.RouteResult r = c.getRoute();
            cb.route = new RouteResult(r.getRtType(), r.getOutDev(), r.getGateway(), r.getMtu(), r.getPrefsrc(), r.getInput());
        }
        cb.ipFlags = c.getIpFlags();
        cb.socket = c.getSocket().isEmpty() ? null : c.getSocket();
        cb.saddr = c.getSaddr();
        cb.daddr = c.getDaddr();
        cb.sport = c.getSport();
        cb.dport = c.getDport();
        cb.ipProtocol = c.getIpProtocol();
        cb.tos = c.getTos();
        cb.ttl = c.getTtl();
        cb.df = c.getDf();
        cb.nfCtinfo = c.getNfCtinfo();
        cb.nfCtId = c.getNfCtId();
        cb.sockOp = c.getSockOp();
        cb.sockOpt = c.getSockOpt();
        cb.sockArg = c.getSockArg();
        cb.sockChild = c.getSockChild().isEmpty() ? null : c.getSockChild();
        cb.ipOptFlags = c.getIpOptFlags();
        cb.fragMaxSize = c.getFragMaxSize();
        cb.ipOptions = c.getIpOptions().isEmpty() ? null : c.getIpOptions().toByteArray();
        return skb;
    }

    public static byte[] encode(SkBuff skb) { return toProto(skb).toByteArray(); }

    /** @throws IllegalArgumentException when the bytes are not an skb record */
    public static SkBuff decode(byte[] bytes) {
        try {
            return fromProto(io.netstack.proto.SkBuff.parseFrom(bytes));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not an sk_buff record: " + e.getMessage(), e);
        }
    }

    public static byte[] encode(WireFrame f) {
        return io.netstack.proto.WireFrame.newBuilder().setNetns(f.netns()).setDev(f.dev())
                .setFrame(ByteString.copyFrom(f.frame())).setTimeNs(f.timeNanos()).build().toByteArray();
    }

    public static WireFrame decodeFrame(byte[] bytes) {
        try {
            io.netstack.proto.WireFrame p = io.netstack.proto.WireFrame.parseFrom(bytes);
            return new WireFrame(p.getNetns(), p.getDev(), p.getFrame().toByteArray(), p.getTimeNs());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not a wire frame record: " + e.getMessage(), e);
        }
    }
}
