# The Hub with its built front end. docker-compose.yml runs two of these behind nginx.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Shared/ src/Shared/
COPY src/Hub/ src/Hub/
# The build also writes the OpenAPI document (src/Hub/obj/openapi/) the web stage generates its types from.
RUN dotnet publish src/Hub -c Release -o /app -p:SkipWebBuild=true

FROM node:20-bookworm-slim AS web
WORKDIR /src/src/Web
COPY src/Web/package.json src/Web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY src/Web/ ./
COPY --from=build /src/src/Hub/obj/openapi/ /src/src/Hub/obj/openapi/
# Vite writes to ../Hub/wwwroot.
RUN npm run build

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# LibreOffice (headless) converts PowerPoint and Word decks to PDF; the CJK font renders Chinese in them
# and in the certificates and learning records the hub makes. Without them the hub still runs and says so.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       libreoffice-impress-nogui libreoffice-writer-nogui fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
COPY --from=web /src/src/Hub/wwwroot ./wwwroot
ENV ASPNETCORE_URLS=http://+:8080
EXPOSE 8080
ENTRYPOINT ["dotnet", "LiveExchange.Hub.dll"]
