package io.netstack;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.netstack.replay.Judge;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** DESIGN.md principle 1: a layer's logic is plain Java; services only wire it. */
class ArchitectureTest {

    private final JavaClasses core = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.netstack");

    @Test
    void coreImportsNeitherKafkaNorSpringNorGrpc() {
        noClasses().that().resideOutsideOfPackage("io.netstack.proto..")
                .should().dependOnClassesThat()
                .resideInAnyPackage("org.apache.kafka..", "org.springframework..", "io.grpc..")
                .because("the layers' logic must run in-process with no broker (DESIGN.md principle 1)")
                .check(core);
    }

    @Test
    void kernelCodeDoesNotReachIntoTheRuntime() {
        noClasses().that().resideInAPackage("io.netstack.net..")
                .should().dependOnClassesThat().resideInAnyPackage("io.netstack.replay..", "io.netstack.codec..")
                .because("kernel functions see only the skb, the host and the LayerContext")
                .check(core);
    }

    @Test
    void theJudgeSharesNoCodeWithTheStackItJudges() {
        noClasses().that().resideInAPackage("io.netstack.replay.judge..")
                .should().dependOnClassesThat(resideInAPackage("io.netstack..")
                        .and(not(resideInAPackage("io.netstack.replay.judge..")))
                        .and(not(belongToAnyOf(Judge.class))))
                .because("a judge that decoded frames or checked checksums with the stack's own code would agree with"
                        + " the stack's own mistakes (conformance/README.md)")
                .check(core);
    }
}
