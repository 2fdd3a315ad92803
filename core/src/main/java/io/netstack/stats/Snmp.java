package io.netstack.stats;

import java.util.List;

/**
 * SNMP MIB counters under the names `nstat` prints (include/uapi/linux/snmp.h and
 * net/ipv4/proc.c: snmp4_ipstats_list, snmp4_ipextstats_list, snmp4_tcp_list,
 * snmp4_udp_list, snmp4_net_list). Counters are strings because some are made on the
 * fly (IcmpMsgInType8); these constants keep the spelling in one place.
 */
public final class Snmp {
    private Snmp() {}

    // Ip: IPSTATS_MIB_*
    public static final String IpInReceives = "IpInReceives";
    public static final String IpInHdrErrors = "IpInHdrErrors";
    public static final String IpInAddrErrors = "IpInAddrErrors";
    public static final String IpForwDatagrams = "IpForwDatagrams";
    public static final String IpInUnknownProtos = "IpInUnknownProtos";
    public static final String IpInDiscards = "IpInDiscards";
    public static final String IpInDelivers = "IpInDelivers";
    public static final String IpOutRequests = "IpOutRequests";
    public static final String IpOutDiscards = "IpOutDiscards";
    public static final String IpOutNoRoutes = "IpOutNoRoutes";
    public static final String IpReasmTimeout = "IpReasmTimeout";
    public static final String IpReasmReqds = "IpReasmReqds";
    public static final String IpReasmOKs = "IpReasmOKs";
    public static final String IpReasmFails = "IpReasmFails";
    public static final String IpFragOKs = "IpFragOKs";
    public static final String IpFragFails = "IpFragFails";
    public static final String IpFragCreates = "IpFragCreates";
    public static final String IpOutTransmits = "IpOutTransmits";

    // IpExt
    public static final String IpExtInNoRoutes = "IpExtInNoRoutes";
    public static final String IpExtInTruncatedPkts = "IpExtInTruncatedPkts";
    public static final String IpExtInMcastPkts = "IpExtInMcastPkts";
    public static final String IpExtOutMcastPkts = "IpExtOutMcastPkts";
    public static final String IpExtInBcastPkts = "IpExtInBcastPkts";
    public static final String IpExtOutBcastPkts = "IpExtOutBcastPkts";
    public static final String IpExtInOctets = "IpExtInOctets";
    public static final String IpExtOutOctets = "IpExtOutOctets";
    public static final String IpExtInMcastOctets = "IpExtInMcastOctets";
    public static final String IpExtOutMcastOctets = "IpExtOutMcastOctets";
    public static final String IpExtInBcastOctets = "IpExtInBcastOctets";
    public static final String IpExtOutBcastOctets = "IpExtOutBcastOctets";
    public static final String IpExtInCsumErrors = "IpExtInCsumErrors";
    public static final String IpExtInNoECTPkts = "IpExtInNoECTPkts";
    public static final String IpExtInECT1Pkts = "IpExtInECT1Pkts";
    public static final String IpExtInECT0Pkts = "IpExtInECT0Pkts";
    public static final String IpExtInCEPkts = "IpExtInCEPkts";
    public static final String IpExtReasmOverlaps = "IpExtReasmOverlaps";

    // Icmp: ICMP_MIB_*
    public static final String IcmpInMsgs = "IcmpInMsgs";
    public static final String IcmpInErrors = "IcmpInErrors";
    public static final String IcmpInCsumErrors = "IcmpInCsumErrors";
    public static final String IcmpInDestUnreachs = "IcmpInDestUnreachs";
    public static final String IcmpInTimeExcds = "IcmpInTimeExcds";
    public static final String IcmpInParmProbs = "IcmpInParmProbs";
    public static final String IcmpInSrcQuenchs = "IcmpInSrcQuenchs";
    public static final String IcmpInRedirects = "IcmpInRedirects";
    public static final String IcmpInEchos = "IcmpInEchos";
    public static final String IcmpInEchoReps = "IcmpInEchoReps";
    public static final String IcmpInTimestamps = "IcmpInTimestamps";
    public static final String IcmpInTimestampReps = "IcmpInTimestampReps";
    public static final String IcmpInAddrMasks = "IcmpInAddrMasks";
    public static final String IcmpInAddrMaskReps = "IcmpInAddrMaskReps";
    public static final String IcmpOutMsgs = "IcmpOutMsgs";
    public static final String IcmpOutRateLimitGlobal = "IcmpOutRateLimitGlobal";
    public static final String IcmpOutRateLimitHost = "IcmpOutRateLimitHost";
    public static final String IcmpOutErrors = "IcmpOutErrors";
    public static final String IcmpOutDestUnreachs = "IcmpOutDestUnreachs";
    public static final String IcmpOutTimeExcds = "IcmpOutTimeExcds";
    public static final String IcmpOutParmProbs = "IcmpOutParmProbs";
    public static final String IcmpOutSrcQuenchs = "IcmpOutSrcQuenchs";
    public static final String IcmpOutRedirects = "IcmpOutRedirects";
    public static final String IcmpOutEchos = "IcmpOutEchos";
    public static final String IcmpOutEchoReps = "IcmpOutEchoReps";
    public static final String IcmpOutTimestamps = "IcmpOutTimestamps";
    public static final String IcmpOutTimestampReps = "IcmpOutTimestampReps";
    public static final String IcmpOutAddrMasks = "IcmpOutAddrMasks";
    public static final String IcmpOutAddrMaskReps = "IcmpOutAddrMaskReps";

    /** IcmpMsgInType&lt;N&gt;: the per-type counters of ICMPMSG_MIB. */
    public static String icmpMsgInType(int type) { return "IcmpMsgInType" + type; }
    /** IcmpMsgOutType&lt;N&gt; */
    public static String icmpMsgOutType(int type) { return "IcmpMsgOutType" + type; }

    // Tcp: TCP_MIB_*
    public static final String TcpActiveOpens = "TcpActiveOpens";
    public static final String TcpPassiveOpens = "TcpPassiveOpens";
    public static final String TcpAttemptFails = "TcpAttemptFails";
    public static final String TcpEstabResets = "TcpEstabResets";
    public static final String TcpCurrEstab = "TcpCurrEstab";
    public static final String TcpInSegs = "TcpInSegs";
    public static final String TcpOutSegs = "TcpOutSegs";
    public static final String TcpRetransSegs = "TcpRetransSegs";
    public static final String TcpInErrs = "TcpInErrs";
    public static final String TcpOutRsts = "TcpOutRsts";
    public static final String TcpInCsumErrors = "TcpInCsumErrors";

    // Udp: UDP_MIB_*
    public static final String UdpInDatagrams = "UdpInDatagrams";
    public static final String UdpNoPorts = "UdpNoPorts";
    public static final String UdpInErrors = "UdpInErrors";
    public static final String UdpOutDatagrams = "UdpOutDatagrams";
    public static final String UdpRcvbufErrors = "UdpRcvbufErrors";
    public static final String UdpSndbufErrors = "UdpSndbufErrors";
    public static final String UdpInCsumErrors = "UdpInCsumErrors";
    public static final String UdpIgnoredMulti = "UdpIgnoredMulti";
    public static final String UdpMemErrors = "UdpMemErrors";

    // TcpExt: LINUX_MIB_* (the ones the emulated paths touch)
    public static final String TcpExtSyncookiesSent = "TcpExtSyncookiesSent";
    public static final String TcpExtSyncookiesRecv = "TcpExtSyncookiesRecv";
    public static final String TcpExtSyncookiesFailed = "TcpExtSyncookiesFailed";
    public static final String TcpExtListenOverflows = "TcpExtListenOverflows";
    public static final String TcpExtListenDrops = "TcpExtListenDrops";
    public static final String TcpExtTCPChallengeACK = "TcpExtTCPChallengeACK";
    public static final String TcpExtTCPSYNChallenge = "TcpExtTCPSYNChallenge";
    public static final String TcpExtTCPAbortOnData = "TcpExtTCPAbortOnData";
    public static final String TcpExtTCPAbortOnClose = "TcpExtTCPAbortOnClose";
    public static final String TcpExtTCPTimeouts = "TcpExtTCPTimeouts";
    public static final String TcpExtTCPPureAcks = "TcpExtTCPPureAcks";
    public static final String TcpExtTCPHPAcks = "TcpExtTCPHPAcks";
    public static final String TcpExtTCPHPHits = "TcpExtTCPHPHits";
    public static final String TcpExtDelayedACKs = "TcpExtDelayedACKs";
    public static final String TcpExtTCPOrigDataSent = "TcpExtTCPOrigDataSent";
    public static final String TcpExtTCPDelivered = "TcpExtTCPDelivered";
    public static final String TcpExtTW = "TcpExtTW";
    public static final String TcpExtPAWSEstab = "TcpExtPAWSEstab";
    public static final String TcpExtTCPRcvQDrop = "TcpExtTCPRcvQDrop";
    public static final String TcpExtTCPBacklogDrop = "TcpExtTCPBacklogDrop";
    public static final String TcpExtArpFilter = "TcpExtArpFilter";
    public static final String TcpExtDelayedACKLost = "TcpExtDelayedACKLost";
    public static final String TcpExtEmbryonicRsts = "TcpExtEmbryonicRsts";
    public static final String TcpExtIPReversePathFilter = "TcpExtIPReversePathFilter";
    public static final String TcpExtTCPACKSkippedChallenge = "TcpExtTCPACKSkippedChallenge";
    public static final String TcpExtTCPACKSkippedFinWait2 = "TcpExtTCPACKSkippedFinWait2";
    public static final String TcpExtTCPACKSkippedPAWS = "TcpExtTCPACKSkippedPAWS";
    public static final String TcpExtTCPACKSkippedSeq = "TcpExtTCPACKSkippedSeq";
    public static final String TcpExtTCPACKSkippedSynRecv = "TcpExtTCPACKSkippedSynRecv";
    public static final String TcpExtTCPACKSkippedTimeWait = "TcpExtTCPACKSkippedTimeWait";
    public static final String TcpExtTCPAbortOnTimeout = "TcpExtTCPAbortOnTimeout";
    public static final String TcpExtTCPDSACKIgnoredDubious = "TcpExtTCPDSACKIgnoredDubious";
    public static final String TcpExtTCPDSACKIgnoredNoUndo = "TcpExtTCPDSACKIgnoredNoUndo";
    public static final String TcpExtTCPDSACKIgnoredOld = "TcpExtTCPDSACKIgnoredOld";
    public static final String TcpExtTCPDSACKOfoRecv = "TcpExtTCPDSACKOfoRecv";
    public static final String TcpExtTCPDSACKRecv = "TcpExtTCPDSACKRecv";
    public static final String TcpExtTCPDSACKRecvSegs = "TcpExtTCPDSACKRecvSegs";
    public static final String TcpExtTCPDSACKUndo = "TcpExtTCPDSACKUndo";
    public static final String TcpExtTCPFastRetrans = "TcpExtTCPFastRetrans";
    public static final String TcpExtTCPFromZeroWindowAdv = "TcpExtTCPFromZeroWindowAdv";
    public static final String TcpExtTCPFullUndo = "TcpExtTCPFullUndo";
    public static final String TcpExtTCPHystartDelayCwnd = "TcpExtTCPHystartDelayCwnd";
    public static final String TcpExtTCPHystartDelayDetect = "TcpExtTCPHystartDelayDetect";
    public static final String TcpExtTCPHystartTrainCwnd = "TcpExtTCPHystartTrainCwnd";
    public static final String TcpExtTCPHystartTrainDetect = "TcpExtTCPHystartTrainDetect";
    public static final String TcpExtTCPKeepAlive = "TcpExtTCPKeepAlive";
    public static final String TcpExtTCPLossUndo = "TcpExtTCPLossUndo";
    public static final String TcpExtTCPOFOMerge = "TcpExtTCPOFOMerge";
    public static final String TcpExtTCPOFOQueue = "TcpExtTCPOFOQueue";
    public static final String TcpExtTCPPartialUndo = "TcpExtTCPPartialUndo";
    public static final String TcpExtTCPRenoRecovery = "TcpExtTCPRenoRecovery";
    public static final String TcpExtTCPReqQFullDoCookies = "TcpExtTCPReqQFullDoCookies";
    public static final String TcpExtTCPReqQFullDrop = "TcpExtTCPReqQFullDrop";
    public static final String TcpExtTCPSACKReorder = "TcpExtTCPSACKReorder";
    public static final String TcpExtTCPSackRecovery = "TcpExtTCPSackRecovery";
    public static final String TcpExtTCPSlowStartRetrans = "TcpExtTCPSlowStartRetrans";
    public static final String TcpExtTCPSpuriousRTOs = "TcpExtTCPSpuriousRTOs";
    public static final String TcpExtTCPSynRetrans = "TcpExtTCPSynRetrans";
    public static final String TcpExtTCPTSReorder = "TcpExtTCPTSReorder";
    public static final String TcpExtTCPToZeroWindowAdv = "TcpExtTCPToZeroWindowAdv";
    public static final String TcpExtTCPWinProbe = "TcpExtTCPWinProbe";
    public static final String TcpExtTCPZeroWindowDrop = "TcpExtTCPZeroWindowDrop";
    public static final String TcpExtTWKilled = "TcpExtTWKilled";

    // Ip6: IPSTATS_MIB_* of /proc/net/snmp6 (what the IPv6-disabled path counts)
    public static final String Ip6InDiscards = "Ip6InDiscards";
    public static final String Ip6InOctets = "Ip6InOctets";
    public static final String Ip6InReceives = "Ip6InReceives";

    /** Counters every host exports from start-up, at zero until they move (dynamic IcmpMsg ones come on first use). */
    public static final List<String> WELL_KNOWN = List.of(
            IpInReceives, IpInHdrErrors, IpInAddrErrors, IpForwDatagrams, IpInUnknownProtos, IpInDiscards,
            IpInDelivers, IpOutRequests, IpOutDiscards, IpOutNoRoutes, IpReasmTimeout, IpReasmReqds,
            IpReasmOKs, IpReasmFails, IpFragOKs, IpFragFails, IpFragCreates, IpOutTransmits,
            IpExtInNoRoutes, IpExtInTruncatedPkts, IpExtInBcastPkts, IpExtOutBcastPkts, IpExtInMcastPkts,
            IpExtOutMcastPkts, IpExtInOctets, IpExtOutOctets, IpExtInCsumErrors, IpExtInNoECTPkts,
            IcmpInMsgs, IcmpInErrors, IcmpInCsumErrors, IcmpInDestUnreachs, IcmpInEchos, IcmpInEchoReps,
            IcmpOutMsgs, IcmpOutErrors, IcmpOutDestUnreachs, IcmpOutTimeExcds, IcmpOutEchos, IcmpOutEchoReps,
            TcpActiveOpens, TcpPassiveOpens, TcpAttemptFails, TcpEstabResets, TcpCurrEstab, TcpInSegs,
            TcpOutSegs, TcpRetransSegs, TcpInErrs, TcpOutRsts, TcpInCsumErrors,
            UdpInDatagrams, UdpNoPorts, UdpInErrors, UdpOutDatagrams, UdpRcvbufErrors, UdpSndbufErrors,
            UdpInCsumErrors, UdpIgnoredMulti);
}
