# syntax=docker/dockerfile:1
# Custos container image: docker build -t custos:0.1.0 .
# Stage 1 builds cli/target/custos.jar with Maven on Temurin 17; stage 2 is the Temurin 17 JRE
# with the jar, the entrypoint and a class-data archive, run as an unprivileged user. The image
# runs with a read-only root filesystem: the JVM's only writes go to /tmp (mount an emptyDir or
# tmpfs there). The same image is built without a Docker engine by `mvn -Pjib ... jib:buildTar`.

FROM maven:3.9.11-eclipse-temurin-17 AS build
# Node.js and npm bundle the command plane's web dashboard (command/src/main/web) into the jar.
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      nodejs npm >/dev/null && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The local Maven repository is a build cache, kept between builds and out of the image.
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -ntp -q -DskipTests -pl cli -am package \
    && cp cli/target/custos.jar /custos.jar

FROM eclipse-temurin:17-jre-noble
ARG VERSION=0.1.0-SNAPSHOT
LABEL org.opencontainers.image.title="custos" \
      org.opencontainers.image.description="In-proxy data protection for cloud-native applications" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"

# A fixed, unprivileged user with no shell login and no home to write to.
RUN groupadd --system --gid 65532 custos \
    && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin custos \
    && mkdir -p /opt/custos/lib /opt/custos/bin /etc/custos \
    && chown -R root:root /opt/custos /etc/custos

COPY --from=build /custos.jar /opt/custos/lib/custos.jar
COPY LICENSE NOTICE /opt/custos/
COPY deploy/docker/entrypoint.sh /opt/custos/bin/entrypoint.sh
COPY deploy/docker/custos.yaml /etc/custos/custos.yaml

# The class-data archive (AppCDS), written once at build time by a training run: it more than
# halves the proxy's start-up. Owned by root, read-only at run time.
RUN java -XX:ArchiveClassesAtExit=/opt/custos/lib/custos.jsa -Xlog:cds=error \
      -cp /opt/custos/lib/custos.jar dev.custos.cli.ClassDataTraining \
    && chmod 0755 /opt/custos/bin/entrypoint.sh \
    && chmod 0644 /opt/custos/lib/custos.jar /opt/custos/lib/custos.jsa

ENV CUSTOS_HOME=/opt/custos \
    CUSTOS_CACHE_DIR=off \
    CUSTOS_ADMIN_PORT=9901 \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -XX:-UsePerfData"

USER 65532:65532
WORKDIR /opt/custos
EXPOSE 8080 9901
# The JVM writes only here (native libraries it unpacks, temporary files).
VOLUME ["/tmp"]

HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["/opt/custos/bin/entrypoint.sh", "healthcheck"]

ENTRYPOINT ["/opt/custos/bin/entrypoint.sh"]
CMD ["proxy", "--config", "/etc/custos/custos.yaml"]
