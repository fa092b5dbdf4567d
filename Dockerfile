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
WORKDIR /app
COPY --from=build /app .
COPY --from=web /src/src/Hub/wwwroot ./wwwroot
ENV ASPNETCORE_URLS=http://+:8080
EXPOSE 8080
ENTRYPOINT ["dotnet", "LiveExchange.Hub.dll"]
