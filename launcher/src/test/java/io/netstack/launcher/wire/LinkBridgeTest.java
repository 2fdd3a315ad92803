package io.netstack.launcher.wire;

import io.netstack.stack.WireFrame;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LinkBridgeTest {

    /** Records what the bridge published. */
    static final class Recording implements WireBridge.StackSide {
        final List<WireFrame> published = new ArrayList<>();
        @Override public void publish(WireFrame frame) { published.add(frame); }
        @Override public List<WireFrame> pollTransmitted(Duration timeout) { return List.of(); }
        @Override public void close() {}
    }

    @Test
    void aFrameCrossesToThePeerOfItsInterfaceBothWays() {
        Recording side = new Recording();
        LinkBridge b = new LinkBridge(LinkBridge.pairs(List.of("a:eth0", "r:eth0", "r:eth1", "b:eth0")), side);
        byte[] f1 = {1, 2, 3};
        byte[] f2 = {4, 5};
        b.carry(new WireFrame("a", "eth0", f1, 0));
        b.carry(new WireFrame("b", "eth0", f2, 0));
        b.carry(new WireFrame("a", "eth1", f2, 0));         // no cable on a:eth1
        assertThat(side.published).extracting(WireFrame::netns, WireFrame::dev)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("r", "eth0"), org.assertj.core.groups.Tuple.tuple("r", "eth1"));
        assertThat(side.published.get(0).frame()).isEqualTo(f1);
        assertThat(b.framesCarried()).isEqualTo(2);
        assertThat(b.describe()).isEqualTo("a:eth0 <-> r:eth0, b:eth0 <-> r:eth1");
    }

    @Test
    void badLinksAreRefused() {
        Recording side = new Recording();
        assertThatThrownBy(() -> LinkBridge.pairs(List.of("a:eth0"))).hasMessageContaining("pairs");
        assertThatThrownBy(() -> LinkBridge.End.parse("a")).hasMessageContaining("HOST:IFACE");
        assertThatThrownBy(() -> new LinkBridge(LinkBridge.pairs(List.of("a:eth0", "b:eth0", "a:eth0", "c:eth0")), side))
                .hasMessageContaining("a:eth0 is in two links");
    }
}
